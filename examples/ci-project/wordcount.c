/* The project the CI example tests: counts words on stdin. */
#include <ctype.h>
#include <stdio.h>

int main(void) {
  long words = 0;
  int c, in_word = 0;
  while ((c = getchar()) != EOF) {
    if (isspace(c)) {
      in_word = 0;
    } else if (!in_word) {
      in_word = 1;
      ++words;
    }
  }
  printf("%ld\n", words);
  return 0;
}
