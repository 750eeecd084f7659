"""Checks of what ships around the domain code: the import contracts, the topic documents, and
(to come: test_compose, test_k8s_manifests, test_topic_contracts) the manifests and schemas."""
