#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Talk to the loaded vqnotify module with the kernel's own YNL CLI.

An independent client: tools/net/ynl/cli.py from a kernel tree, driven only
by Documentation/netlink/specs/vqnotify.yaml, must encode our requests and
decode the kernel's replies and notifications (enum names included) the way
the module means them. Guests, devices and queues are made through
/dev/vqnotify ioctls from this process. Prints TAP; needs root, python3
and PyYAML (not jsonschema: the CLI runs with --no-schema; the host checks
the schema, scripts/check-spec.sh).

usage: vqnotify_ynl.py [--ynl DIR] [--spec FILE]
  DIR:  the kernel's tools/net/ynl (default: $YNL_DIR, else found next to
        this script or under /usr/src/linux-source-*)
  FILE: the spec (default: $VQN_SPEC, else ../Documentation/... next to
        this script, else vqnotify.yaml next to it)
"""
import argparse
import fcntl
import glob
import json
import os
import struct
import subprocess
import sys

DEV = '/dev/vqnotify'
PARAMS = '/sys/module/vqnotify/parameters/'


def _io(nr):
    return (0xBA << 8) | (0x80 + nr)    # _IO(VQNOTIFY_TYPE, BASE + nr)


GUEST_GET, DEV_ADD, SET_STATUS, DEV_REMOVE = _io(2), _io(3), _io(4), _io(6)
STATUS_OK = 0x0f
MMIO = 2


def guest_id(fd):
    # struct vqnotify_guest_info: 14 u32, 16 u64, char[32]
    buf = bytearray(struct.pack('=II', 14 * 4 + 16 * 8 + 32, 0) +
                    bytes(12 * 4 + 16 * 8 + 32))
    fcntl.ioctl(fd, GUEST_GET, buf)
    return struct.unpack_from('=I', buf, 8)[0]


def dev_add(fd, nq, label):
    # struct vqnotify_dev_add: size, flags, transport, num_queues,
    # out_dev_id, __reserved, char label[32]
    buf = bytearray(struct.pack('=6I32s', 56, 0, MMIO, nq, 0, 0,
                                label.encode()))
    fcntl.ioctl(fd, DEV_ADD, buf)
    return struct.unpack_from('=I', buf, 16)[0]


def dev_op(fd, cmd, dev, status=0):
    # struct vqnotify_dev_op: size, flags, dev_id, status, u64 ready,
    # u64 results, nr_results, __reserved
    buf = bytearray(struct.pack('=4IQQ2I', 40, 0, dev, status, 0, 0, 0, 0))
    fcntl.ioctl(fd, cmd, buf)


def hexint(v):
    """A display-hint: hex attribute, as the CLI prints it."""
    return int(v, 16) if isinstance(v, str) else v


def ynl_family(ynl, spec):
    """The CLI's library, YnlFamily, for our spec."""
    sys.path.insert(0, ynl if os.path.isdir(os.path.join(ynl, 'lib'))
                    else os.path.join(ynl, 'pyynl'))
    from lib import YnlFamily
    return YnlFamily(spec, '')


def param(name):
    with open(PARAMS + name) as f:
        return int(f.read())


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, name, ok, why=''):
        self.n += 1
        if not ok:
            self.failed += 1
            for line in str(why).splitlines():
                print('# ' + line)
        print('%s %d %s' % ('ok' if ok else 'not ok', self.n, name))
        sys.stdout.flush()


class Cli:
    def __init__(self, ynl, spec):
        self.cli = os.path.join(ynl, 'cli.py')
        if not os.path.exists(self.cli):    # 6.15+: pyynl/cli.py
            self.cli = os.path.join(ynl, 'pyynl', 'cli.py')
        self.spec = spec

    def run(self, *args, json_arg=None):
        """(exit status, decoded JSON outputs or the error text)"""
        cmd = [sys.executable, self.cli, '--spec', self.spec, '--no-schema',
               '--output-json'] + list(args)
        if json_arg is not None:
            cmd += ['--json', json.dumps(json_arg)]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode:
            return p.returncode, (p.stdout + p.stderr).strip()
        return 0, [json.loads(line) for line in p.stdout.splitlines()
                   if line.strip()]


def find_ynl(arg):
    here = os.path.dirname(os.path.abspath(__file__))
    for d in [arg, os.environ.get('YNL_DIR'), os.path.join(here, 'ynl')] + \
            sorted(glob.glob('/usr/src/linux-source-*/tools/net/ynl')):
        if d and (os.path.exists(os.path.join(d, 'cli.py')) or
                  os.path.exists(os.path.join(d, 'pyynl', 'cli.py'))):
            return d
    return None


def find_spec(arg):
    here = os.path.dirname(os.path.abspath(__file__))
    for f in [arg, os.environ.get('VQN_SPEC'),
              os.path.join(here, '..', 'Documentation', 'netlink', 'specs',
                           'vqnotify.yaml'),
              os.path.join(here, 'vqnotify.yaml')]:
        if f and os.path.exists(f):
            return f
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--ynl')
    ap.add_argument('--spec')
    args = ap.parse_args()

    print('TAP version 13')
    ynl, spec = find_ynl(args.ynl), find_spec(args.spec)
    skip = None
    if not os.path.exists(DEV):
        skip = DEV + ' not present (module not loaded)'
    elif os.geteuid():
        skip = 'needs root'
    elif not ynl or not spec:
        skip = 'no YNL CLI or no spec (--ynl, --spec)'
    if skip:
        print('1..0 # SKIP ' + skip)
        return 0

    cli = Cli(ynl, spec)
    t = Tap()
    fd = os.open(DEV, os.O_RDWR)
    gid = guest_id(fd)
    thr = param('threshold')
    nq = thr + 4        # an admin budget of thr + 2 preempts two of them
    small = dev_add(fd, nq, 'ynl-net0')
    dev_op(fd, SET_STATUS, small, STATUS_OK)
    big = dev_add(fd, 1024, 'ynl-big')
    cfg0 = None

    try:
        rc, out = cli.run('--do', 'config-get')
        ok = rc == 0 and len(out) == 1
        cfg0 = out[0] if ok else None
        t.check('config-get matches the module parameters', ok and
                cfg0['host-cap'] == param('host_cap') and
                cfg0['threshold'] == param('threshold') and
                cfg0['default-budget'] == param('default_budget') and
                cfg0['nr-guests'] >= 1, out)

        rc, out = cli.run('--do', 'guest-get', json_arg={'id': gid})
        g = out[0] if rc == 0 and out else {}
        t.check('guest-get do decodes our guest',
                g.get('id') == gid and g.get('pid') == os.getpid() and
                g.get('uid') == 0 and g.get('nr-devices') == 2 and
                g.get('nr-assigned') == nq and
                g.get('counts', {}).get('a') == nq + 1024 and
                g.get('counts', {}).get('b') == nq, out)

        rc, out = cli.run('--dump', 'guest-get')
        t.check('guest-get dump lists our guest', rc == 0 and
                gid in [x['id'] for x in out[0]], out)

        rc, out = cli.run('--dump', 'dev-get', json_arg={'guest-id': gid})
        devs = out[0] if rc == 0 else []
        t.check('dev-get dump: labels, transport enum, status', rc == 0 and
                [(d['id'], d['label'], d['transport'], hexint(d['status']),
                  d['num-queues']) for d in devs] ==
                [(small, 'ynl-net0', 'mmio', STATUS_OK, nq),
                 (big, 'ynl-big', 'mmio', 0, 1024)], out)

        rc, out = cli.run('--do', 'queue-get', json_arg={
            'guest-id': gid, 'dev-id': small, 'index': 3})
        q = out[0] if rc == 0 and out else {}
        t.check('queue-get do: state, reason, label and flags by name',
                q.get('state') == 'assigned' and
                q.get('reason') == 'granted' and q.get('label') == 'b' and
                sorted(q.get('flags', [])) == ['initialised'] and
                q.get('index') == 3, out)

        rc, out = cli.run('--dump', 'queue-get',
                          json_arg={'guest-id': gid, 'dev-id': big})
        qs = out[0] if rc == 0 else []
        t.check('queue-get dump of 1024 queues (several skbs)',
                rc == 0 and [x['index'] for x in qs] == list(range(1024)) and
                all(x['state'] == 'deassigned' and x['label'] == 'a'
                    for x in qs), out if rc else len(qs))

        # The CLI cannot do a request while notifications arrive (its 6.12
        # lib/ynl.py loses the request when a notification comes first), so
        # the monitor is read with the CLI's own library, the changes made
        # by ioctls on /dev/vqnotify.
        mon = ynl_family(ynl, spec)
        mon.ntf_subscribe('monitor')
        dev = dev_add(fd, 2, 'ynl-mon')
        dev_op(fd, SET_STATUS, dev, STATUS_OK)
        dev_op(fd, DEV_REMOVE, dev)
        mon.check_ntf()
        seen = [(n['name'], n['msg'].get('label'), n['msg'].get('queue'))
                for n in mon.async_msg_queue]
        t.check('monitor: dev add, (b) x2, (g) x2, dev del, decoded',
                seen == [('dev-add-ntf', 'ynl-mon', None),
                         ('queue-ntf', 'b', 0), ('queue-ntf', 'b', 1),
                         ('queue-ntf', 'g', 0), ('queue-ntf', 'g', 1),
                         ('dev-del-ntf', 'ynl-mon', None)] and
                mon.async_msg_queue[1]['msg']['new-state'] == 'assigned' and
                mon.async_msg_queue[3]['msg']['reason'] == 'removed', seen)

        budget = thr + 2
        rc, out = cli.run('--do', 'guest-set',
                          json_arg={'id': gid, 'admin-budget': budget})
        t.check('guest-set admin-budget', rc == 0, out)

        rc, out = cli.run('--do', 'guest-get', json_arg={'id': gid})
        g = out[0] if rc == 0 and out else {}
        t.check('guest-get shows the admin budget and (p) x2',
                g.get('budget') == budget and
                g.get('admin-budget') == budget and
                g.get('nr-waiting') == 2 and
                g.get('counts', {}).get('p') == 2, out)

        rc, out = cli.run('--do', 'config-set',
                          json_arg={'default-budget': 77})
        rc2, out2 = cli.run('--do', 'config-get')
        t.check('config-set default-budget', rc == 0 and rc2 == 0 and
                out2[0]['default-budget'] == 77 and
                param('default_budget') == 77, (out, out2))

        rc, out = cli.run('--do', 'guest-get', json_arg={'id': 0x7ffffff0})
        t.check('guest-get of an unknown guest fails (ENOENT)',
                rc != 0 and 'No such file or directory' in out, out)

        rc, out = cli.run('--do', 'config-set', json_arg={'host-cap': 0})
        t.check('config-set host-cap 0 is out of range (ERANGE)',
                rc != 0 and 'out of range' in out, out)

        os.close(fd)
        fd = -1
        rc, out = cli.run('--dump', 'guest-get')
        t.check('a closed guest leaves the dump', rc == 0 and
                gid not in [x['id'] for x in out[0]], out)
    finally:
        if cfg0:
            cli.run('--do', 'config-set', json_arg={
                k: cfg0[k] for k in ('default-budget', 'threshold',
                                     'vhost-reserve', 'host-cap')})
        if fd >= 0:
            os.close(fd)

    print('1..%d' % t.n)
    return 1 if t.failed else 0


if __name__ == '__main__':
    sys.exit(main())
