/* placeholder until the demo is written */
int main(void) { return 0; }
