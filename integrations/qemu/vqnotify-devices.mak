# The devices of the minimal QEMU that scripts/qemu.sh builds for the rig:
# the pc machine (i440FX), virtio-pci with blk, net and rng, a serial port.
CONFIG_I440FX=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_BLK=y
CONFIG_VIRTIO_NET=y
CONFIG_VIRTIO_RNG=y
CONFIG_SERIAL=y
CONFIG_SERIAL_ISA=y
