"""What the Alibaba Cloud products (CMS and STAROps, DMS, RDS AI) share: their account, requests and error replies."""

DEFAULT_REGION = "cn-hangzhou"
