"""Amazon EFS (rest-json): file systems as directories, access points, mount targets,
file system policies and tags; see service.py."""
