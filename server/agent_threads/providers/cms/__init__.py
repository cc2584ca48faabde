"""Alibaba Cloud digital employees: CMS and, the same API moved, STAROps."""
