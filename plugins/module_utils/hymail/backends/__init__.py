"""Mail server backends: turn a server into Account records and apply a batch of changes."""
