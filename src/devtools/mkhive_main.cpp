// Placeholder replaced by the hive-writer work (see src/devtools/).
int main() { return 0; }
