/* os: the parts of the platform seam that are the same on every OS: the
 * parsers of macOS's vm_stat and vm.swapusage texts, so that the Darwin
 * figures can be tested anywhere from fixtures (see os.h). */
#include "localmodel/os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The number after "key" on the line that starts with it ("Pages free:
 * 123."); 0 when found. */
static int vm_field(const char *text, const char *key, uint64_t *out)
{
	size_t n = strlen(key);

	for (const char *line = text; line && *line;) {
		if (!strncmp(line, key, n) && line[n] == ':') {
			const char *p = line + n + 1;
			char *end;
			p += strspn(p, " \t");
			unsigned long long v = strtoull(p, &end, 10);
			if (end == p)
				return -1;
			*out = v;
			return 0;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -1;
}

int os_vm_stat_parse(const char *text, struct os_vm *v)
{
	const char *ps = strstr(text, "page size of ");

	memset(v, 0, sizeof(*v));
	if (!ps)
		return -1;
	v->page_size = strtoull(ps + strlen("page size of "), NULL, 10);
	if (!v->page_size || vm_field(text, "Pages free", &v->free))
		return -1;
	vm_field(text, "Pages inactive", &v->inactive);
	vm_field(text, "Pages purgeable", &v->purgeable);
	vm_field(text, "Pages speculative", &v->speculative);
	return 0;
}

uint64_t os_vm_available(const struct os_vm *v)
{
	return (v->free + v->inactive + v->purgeable + v->speculative) * v->page_size;
}

/* "2048.00M" (after "name = ") in bytes; 0 when found. */
static int swap_field(const char *text, const char *name, uint64_t *out)
{
	char want[16];
	const char *p;
	char *end;
	double x;
	uint64_t unit = 1;

	snprintf(want, sizeof(want), "%s = ", name);
	if (!(p = strstr(text, want)))
		return -1;
	p += strlen(want);
	x = strtod(p, &end);
	if (end == p || x < 0)
		return -1;
	switch (*end) {
	case 'K': unit = 1ull << 10; break;
	case 'M': unit = 1ull << 20; break;
	case 'G': unit = 1ull << 30; break;
	case 'T': unit = 1ull << 40; break;
	default: break;
	}
	*out = (uint64_t)(x * (double)unit + 0.5);
	return 0;
}

int os_swapusage_parse(const char *text, uint64_t *total, uint64_t *used)
{
	uint64_t t, u;

	if (swap_field(text, "total", &t) || swap_field(text, "used", &u))
		return -1;
	*total = t;
	*used = u;
	return 0;
}
