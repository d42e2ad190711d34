"""What agencies declare: reading the files safely, the schema, the Điều 5 rules, messages."""
