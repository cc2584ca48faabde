"""The sandbox side the Alibaba products share: the ACS3 verifier, the error envelope, RPC and ROA dispatch."""
