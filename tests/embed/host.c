/* The program that loads the plugin: it links only embed_plugin. */
#include <stdio.h>

#if defined(_WIN32)
__declspec(dllimport)
#endif
int plugin_count(int n);

int main(void) {
  int sum = plugin_count(4);
  printf("plugin: %d weft threads counted %d\n", 4, sum);
  return sum == 4 ? 0 : 1;
}
