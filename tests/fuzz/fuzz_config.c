/* fuzz_config: the config file parser on arbitrary bytes.
 * Built and run by tests/fuzz/run.sh (clang -fsanitize=fuzzer,address). */
#include "localmodel/config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct lm_config c;
	struct lm_err err;
	FILE *f;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/fuzz-config-%ld", (long)getpid());
	f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	config_defaults(&c);
	config_load(&c, path, &err);
	return 0;
}
