"""Aid's read models as pure folds: a row type for each table (rows.py), the one fold that writes
each table (beneficiaries.py, stock.py, support.py), and the folds an event goes through
(folds.py). Nothing here reads or writes a database: services/aid/projections.py does for the
live rows, services/aid/rebuild.py for a rebuild."""
