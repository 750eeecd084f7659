"""Examples of building on Resettle's topics from outside the services."""
