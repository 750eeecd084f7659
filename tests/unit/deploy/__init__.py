"""Checks of what ships around the domain code, apart from the domain's tests: the import
contracts, the topic contracts and documents, the Compose file and the Kubernetes manifests."""
