// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vqn-hello: the smallest libvqnotify program. Registers a guest, adds a
 * modern virtio-pci device with two queues, sets DRIVER_OK and prints what
 * the module decided for each queue, then closes (which frees every slot).
 *
 *   cc -o vqn-hello vqn-hello.c $(pkg-config --cflags --libs vqnotify)
 *   ./vqn-hello            # as a member of group kvm
 */
#include <stdio.h>
#include <string.h>

#include <libvqnotify.h>

#define DRIVER_OK 0x0f	/* ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK */

int main(void)
{
	struct vqn_result res[2];
	struct vqn_guest *g;
	uint32_t dev;
	int i, n, ret;

	ret = vqn_open(&g, "vqn-hello");
	if (ret < 0) {
		fprintf(stderr, "vqn-hello: open %s: %s\n", VQN_DEVICE_PATH,
			strerror(-ret));
		return 1;
	}
	ret = vqn_dev_add(g, VQNOTIFY_TRANSPORT_MMIO, 2, "hello", &dev);
	if (ret < 0)
		goto fail;
	n = vqn_set_status(g, dev, DRIVER_OK, NULL, res, 2);
	if (n < 0) {
		ret = n;
		goto fail;
	}
	for (i = 0; i < n && i < 2; i++)
		printf("device %u queue %u: %s -> %s (%s)\n", res[i].dev_id,
		       res[i].queue, vqn_state_name(res[i].old_state),
		       vqn_state_name(res[i].new_state),
		       vqn_reason_name(res[i].reason));
	vqn_close(g);
	return 0;
fail:
	fprintf(stderr, "vqn-hello: %s\n", strerror(-ret));
	vqn_close(g);
	return 1;
}
