enum _PlaceholderTaskMCPServer {}
