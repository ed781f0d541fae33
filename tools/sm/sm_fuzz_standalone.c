// SPDX-License-Identifier: GPL-2.0
/*
 * The driver of sm_fuzz.c without libFuzzer (FUZZ_ENGINE=standalone):
 * linked in place of libFuzzer's, it takes the same options (-seed=,
 * -runs=, -max_total_time=, -artifact_prefix=, files to replay) and calls
 * the same LLVMFuzzerInitialize() and LLVMFuzzerTestOneInput().
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void save_input(void);

/*
 * Without libFuzzer: random inputs from a seeded generator, the same
 * options and the same final statistics lines as libFuzzer prints.
 */
static const uint8_t *cur_data;
static size_t cur_size;
static const char *artifact_prefix = "./";

void save_input(void)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%scrash-standalone-%ld", artifact_prefix,
		 (long)getpid());
	f = fopen(path, "w");
	if (!f)
		return;
	fwrite(cur_data, 1, cur_size, f);
	fclose(f);
	fprintf(stderr, "Test unit written to %s\n", path);
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void run_one(const uint8_t *data, size_t size)
{
	cur_data = data;
	cur_size = size;
	LLVMFuzzerTestOneInput(data, size);
}

static int replay(const char *path)
{
	static uint8_t buf[1 << 20];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		perror(path);
		return 1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	fprintf(stderr, "Running: %s (%zu bytes)\n", path, n);
	run_one(buf, n);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long runs = ~0ULL, done = 0, seed = 0;
	unsigned long max_time = 0;
	bool replayed = false;
	uint8_t buf[4096];
	time_t start, now;
	int i;

	LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "-seed=", 6))
			seed = strtoull(argv[i] + 6, NULL, 0);
		else if (!strncmp(argv[i], "-runs=", 6))
			runs = strtoull(argv[i] + 6, NULL, 0);
		else if (!strncmp(argv[i], "-max_total_time=", 16))
			max_time = strtoul(argv[i] + 16, NULL, 0);
		else if (!strncmp(argv[i], "-artifact_prefix=", 17))
			artifact_prefix = argv[i] + 17;
	}
	for (i = 1; i < argc; i++) {
		struct stat st;

		if (argv[i][0] == '-')
			continue;
		if (!stat(argv[i], &st) && S_ISDIR(st.st_mode)) {
			fprintf(stderr, "INFO: %s: corpus directory, unused here\n",
				argv[i]);
			continue;
		}
		if (replay(argv[i]))
			return 1;
		replayed = true;
	}
	if (replayed)
		return 0;

	if (!seed)
		seed = time(NULL);
	rng_state = seed * 0x9e3779b97f4a7c15ULL | 1;
	fprintf(stderr, "INFO: standalone driver, Seed: %llu\n", seed);
	start = time(NULL);
	for (done = 0; done < runs; done++) {
		size_t n = rng() % sizeof(buf), j;

		if (!(done & 255)) {
			now = time(NULL);
			if (max_time && now - start >= (time_t)max_time)
				break;
		}
		for (j = 0; j < n; j += 8) {
			uint64_t r = rng();

			memcpy(buf + j, &r, n - j < 8 ? n - j : 8);
		}
		run_one(buf, n);
	}
	now = time(NULL);
	fprintf(stderr, "Done %llu runs in %ld second(s)\n", done,
		(long)(now - start));
	fprintf(stderr, "stat::number_of_executed_units: %llu\n", done);
	fprintf(stderr, "stat::average_exec_per_sec:     %llu\n",
		now > start ? done / (now - start) : done);
	return 0;
}
