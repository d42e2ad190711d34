"""What is published from the declared state: the directory and the reports."""
