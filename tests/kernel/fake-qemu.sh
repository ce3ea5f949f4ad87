#!/bin/sh
# A stand-in for qemu-system-x86_64 in tests/kernel/test-linux-backend.c:
# prints a console saved from a real boot (tests/kernel/data) and records
# when it starts and ends, so the test can count VMs running at once.
#   FAKE_QEMU_LOG   file that gets "+" at start and "-" at the end
#   FAKE_QEMU_MODE  ok | crash
#   FAKE_QEMU_SLEEP seconds the "boot" takes (0.3)
# Under "-accel kvm" it fails the way kvm_pvm does (the accelerator probe).
for a in "$@"; do
	if [ "$a" = kvm ]; then
		echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69" >&2
		exit 1
	fi
done
echo + >>"$FAKE_QEMU_LOG"
sleep "${FAKE_QEMU_SLEEP:-0.3}"
case "$FAKE_QEMU_MODE" in
crash) cat "$KBISECT_SRCDIR/tests/kernel/data/console-crash.log" ;;
*) cat "$KBISECT_SRCDIR/tests/kernel/data/console-ok.log" ;;
esac
echo - >>"$FAKE_QEMU_LOG"
