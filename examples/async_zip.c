/* The tutorial's background job: AsyncZip compresses a file in a thread
 * while the main program goes on, then main joins it. The seed writes a
 * zip archive with zipfile; this writes a gzip file with zlib (gzwrite),
 * then reads it back to check it. Built without zlib, it says SKIP.
 *
 *   background = AsyncZip('mydata.txt', 'myarchive.zip')
 *   background.start()                     weft_thread_start(background)
 *   background.join()                      weft_thread_join(background, WEFT_FOREVER)
 */
#include <stdio.h>
#include <string.h>
#include <weft.h>

#if !defined(WEFT_EXAMPLE_ZLIB)
int main(void) {
  printf("SKIP: built without zlib (its development files were not found for this compiler)\n");
  return 77;
}
#else
#include <zlib.h>

typedef struct async_zip {
  const char *infile, *outfile;
  long bytes; /* read from infile; -1 if it failed */
} async_zip;

static void run(void *arg) {
  async_zip *job = arg;
  job->bytes = -1;
  FILE *in = fopen(job->infile, "rb");
  gzFile out = gzopen(job->outfile, "wb9");
  if (in && out) {
    char buf[4096];
    size_t n;
    long total = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0 && gzwrite(out, buf, (unsigned)n) == (int)n)
      total += (long)n;
    if (!ferror(in) && feof(in)) job->bytes = total;
  }
  if (in) fclose(in);
  if (out && gzclose(out) != Z_OK) job->bytes = -1;
  printf("Finished background zip of: %s\n", job->infile);
}

/* Some text to compress, and the same text to compare with. */
static int line(char *buf, size_t size, int i) {
  return snprintf(buf, size, "line %d: the quick brown fox jumps over the lazy dog\n", i);
}

int main(void) {
  enum { LINES = 2000 };
  FILE *data = fopen("mydata.txt", "wb");
  if (!data) return 1;
  char text[128];
  long size = 0;
  for (int i = 0; i < LINES; i++)
    size += fwrite(text, 1, (size_t)line(text, sizeof text, i), data);
  fclose(data);

  async_zip job = {"mydata.txt", "myarchive.gz", 0};
  weft_thread *background = weft_thread_new(run, &job);
  if (!background || weft_thread_start(background) != WEFT_OK) return 1;
  printf("The main program continues to run in foreground.\n");
  weft_thread_join(background, WEFT_FOREVER); /* wait for the background task to finish */
  weft_thread_unref(background);
  printf("Main program waited until background was done.\n");

  /* Read the archive back: it must unpack to the same lines. */
  gzFile in = gzopen(job.outfile, "rb");
  long same = 0;
  int mismatch = in == NULL;
  for (int i = 0; in && i < LINES && !mismatch; i++) {
    char got[128];
    int n = line(text, sizeof text, i);
    mismatch = gzread(in, got, (unsigned)n) != n || memcmp(got, text, (size_t)n) != 0;
    same += mismatch ? 0 : n;
  }
  if (in) mismatch |= gzread(in, text, 1) != 0 || gzclose(in) != Z_OK; /* nothing after */
  if (job.bytes != size || mismatch) {
    printf("FAIL: zipped %ld of %ld bytes; %ld unpacked the same\n", job.bytes, size, same);
    return 1;
  }
  printf("%s unpacks to the %ld bytes of %s\n", job.outfile, size, job.infile);
  return 0;
}
#endif
