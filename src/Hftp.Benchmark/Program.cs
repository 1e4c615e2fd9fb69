// Placeholder entry point until this project is built (see its issue).
return 0;
