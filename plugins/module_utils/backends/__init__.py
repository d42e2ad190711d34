"""The mail servers behind one interface: reading their state, rendering and switching files."""
