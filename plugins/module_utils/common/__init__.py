"""The floor every stage stands on: the clock, writing files, parallel work, the lifecycle."""
