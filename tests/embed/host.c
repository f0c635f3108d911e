/* The program that loads the plugin: it links only embed_plugin. */
#include <stdio.h>

#if defined(_WIN32)
#define PLUGIN_IMPORT __declspec(dllimport)
#else
#define PLUGIN_IMPORT
#endif

PLUGIN_IMPORT int plugin_count(int n);

int main(void) {
  int sum = plugin_count(4);
  printf("plugin: %d weft threads counted %d\n", 4, sum);
  return sum == 4 ? 0 : 1;
}
