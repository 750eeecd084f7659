from console.main import cli

cli()
