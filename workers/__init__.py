"""Background work: the taskiq broker and tasks, and the scheduler."""
