#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Everything the tree uses must come from a package that tests/install-deps installs.

A fresh Debian 12 machine has only its Essential packages. This machine has many
more, so a build or a script can work here and fail there. This test closes that
gap for two classes of use, printing one TAP case for each:

  headers   every system header included (#include <...>) by a .c or .h file;
  programs  every program that a script in bench/, tests/ or examples/ runs
            (shell scripts and .t files: words in command position; Python
            tools: the first element of a subprocess argument list).

Each is found on this machine and its owning package asked of dpkg -S. That
package must be Essential, or in the closure of tests/install-deps' package
lists over Depends and Pre-Depends. A header not found on this machine fails
too; so does a program not found here that a Debian package is named after
(fio: the package exists, nothing installs it). Other words in command position
that are no program here are taken for words of a message.

  tests/build/deps-installed.py [TOP] [--install-deps FILE]

--install-deps names another copy of the script (the test of this test drops
a package from it and expects a failure).
"""
import glob
import os
import re
import shutil
import subprocess
import sys

args = sys.argv[1:]
deps_file = None
if '--install-deps' in args:
    i = args.index('--install-deps')
    deps_file = args[i + 1]
    del args[i:i + 2]
top = os.path.abspath(args[0] if args else os.path.join(os.path.dirname(__file__), '..', '..'))
deps_file = deps_file or os.path.join(top, 'tests/install-deps')

n = 0
failed = 0


def case(ok, what, diag=()):
    global n, failed
    n += 1
    failed += not ok
    print(f"{'ok' if ok else 'not ok'} {n} - {what}")
    for d in diag:
        print(f'# {d}')


# ---- what install-deps installs, and what that pulls in -----------------------
text = open(deps_file).read()
listed = set()
for m in re.finditer(r'^\s*[a-z_]*_pkgs=\(([^)]*)\)', text, re.S | re.M):
    body = re.sub(r'#[^\n]*', '', m.group(1))
    listed.update(w for w in body.split() if re.match(r'^[a-z0-9][a-z0-9+.-]+$', w))
if not listed:
    print('Bail out! no *_pkgs=( ... ) lists found in ' + deps_file)
    sys.exit(1)


# Every package dpkg knows, its state and what it depends on: one dpkg-query
# for all (one a package, and one more per dependency, took a minute and a
# half of the suite)
known = {}
r = subprocess.run(['dpkg-query', '-W', '-f=${Package}\t${Status}\t${Depends}\t${Pre-Depends}\n'],
                   capture_output=True, text=True)
for line in r.stdout.splitlines():
    pkg, status, dep, predep = (line.split('\t') + ['', '', ''])[:4]
    if status.split(' ')[-1:] == ['installed'] or pkg not in known:
        known[pkg] = (status, dep + ',' + predep)


def installed(pkg):
    return known.get(pkg, ('', ''))[0].split(' ')[-1:] == ['installed']


def depends(pkg):
    out = []
    if not installed(pkg):
        return out
    for alt in known[pkg][1].split(','):
        # any alternative may be the installed one: take those that are installed
        for choice in alt.split('|'):
            name = choice.strip().split(' ')[0].split(':')[0]
            if name and installed(name):
                out.append(name)
    return out


# virtual packages: dpkg knows them by the Provides of installed packages
provided = {}
r = subprocess.run(['dpkg-query', '-W', '-f=${Package}\t${Provides}\n'], capture_output=True, text=True)
for line in r.stdout.splitlines():
    pkg, _, prov = line.partition('\t')
    for p in prov.split(','):
        p = p.strip().split(' ')[0]
        if p:
            provided.setdefault(p, []).append(pkg)

closure, todo = set(), list(listed)
while todo:
    p = todo.pop()
    if p in closure:
        continue
    closure.add(p)
    todo.extend(provided.get(p, []))
    todo.extend(depends(p))

# A fresh Debian 12 machine has its Essential and 'required' packages (debootstrap's
# minbase, Debian's container images): apt, mount, mawk and the like.
essential = set()
r = subprocess.run(['dpkg-query', '-W', '-f=${Package}\t${Essential}\t${Priority}\n'],
                   capture_output=True, text=True)
for line in r.stdout.splitlines():
    pkg, ess, prio = (line.split('\t') + ['', ''])[:3]
    if ess.strip() == 'yes' or prio.strip() == 'required':
        essential.add(pkg)
# Essential packages' own Depends are on every machine too
todo = list(essential)
while todo:
    p = todo.pop()
    for d in depends(p):
        if d not in essential:
            essential.add(d)
            todo.append(d)


# which package installed each file, from dpkg's own lists (one dpkg -S a
# file is slow); a file not in them is asked of dpkg -S (diversions)
listed_by = {}
for lst in glob.glob('/var/lib/dpkg/info/*.list'):
    pkg = os.path.basename(lst)[:-len('.list')].split(':')[0]
    try:
        with open(lst, errors='replace') as f:
            for line in f:
                listed_by.setdefault(line.rstrip('\n'), pkg)
    except OSError:
        pass


def owner(path):
    for p in (path, os.path.realpath(path)):
        for q in (p, p[4:] if p.startswith('/usr/') else '/usr' + p):
            if q in listed_by:
                return listed_by[q]
    for p in (path, os.path.realpath(path)):
        r = subprocess.run(['dpkg', '-S', p], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(':')[0].split(',')[0].strip()
        # merged /usr: dpkg may know /bin/x as /usr/bin/x or the other way round
        alt = p[4:] if p.startswith('/usr/') else '/usr' + p
        r = subprocess.run(['dpkg', '-S', alt], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(':')[0].split(',')[0].strip()
    return None


def is_debian_package(name):
    return subprocess.run(['apt-cache', 'show', '--no-all-versions', name],
                          capture_output=True).returncode == 0


def judge(kind, name, path, where):
    if path is None and kind == 'program' and not is_debian_package(name):
        # A word in command position that no program here has and no package is
        # named after: a word of a message or a shell variable, not a program.
        return
    if path is None:
        case(False, f'{kind} {name}: not on this machine, so nothing installs it (used in {where})',
             ['add the Debian package that ships it to tests/install-deps'])
        return
    pkg = owner(path)
    if pkg is None:
        case(False, f'{kind} {name}: {path} belongs to no Debian package (used in {where})',
             ['vsmigrate may use only what Debian packages install'])
    elif pkg in closure or pkg in essential:
        case(True, f'{kind} {name} ({pkg})')
    else:
        case(False, f'{kind} {name}: package {pkg} is not installed by tests/install-deps '
             f'(used in {where})', [f'add {pkg} to tests/install-deps (and, for a library, '
                                    'a configure check that names it)'])


def walk(exts=None, dirs=None):
    roots = [os.path.join(top, d) for d in dirs] if dirs else [top]
    for root in roots:
        for d, subdirs, files in os.walk(root):
            subdirs[:] = [s for s in subdirs if s not in ('.git', '_build', 'corpus', 'autom4te.cache')]
            for f in files:
                if exts is None or f.endswith(exts):
                    yield os.path.join(d, f)


# ---- headers ------------------------------------------------------------------
local = set()
includes = {}
for path in walk(('.c', '.h')):
    local.add(os.path.basename(path))
    for line in open(path, errors='replace'):
        m = re.match(r'\s*#\s*include\s*<([^>]+)>', line)
        if m:
            includes.setdefault(m.group(1), os.path.relpath(path, top))
incdirs = ['/usr/include', '/usr/include/x86_64-linux-gnu', '/usr/local/include']
for pc in ('smbclient', 'krb5-gssapi', 'libvirt', 'libxml-2.0', 'nbdkit', 'cmocka', 'ldap', 'talloc',
           'tevent', 'ndr_krb5pac', 'netapi', 'uuid', 'jansson', 'libsasl2'):
    r = subprocess.run(['pkg-config', '--cflags-only-I', pc], capture_output=True, text=True)
    incdirs += [w[2:] for w in r.stdout.split() if w.startswith('-I')]
for cc in ('gcc', 'clang'):
    if shutil.which(cc):
        d = subprocess.run([cc, '-print-file-name=include'], capture_output=True, text=True).stdout.strip()
        if d and os.path.isdir(d):
            incdirs.append(d)
for h, where in sorted(includes.items()):
    if h == 'config.h' or os.path.basename(h) in local and not os.path.exists('/usr/include/' + h):
        continue
    path = next((os.path.join(d, h) for d in incdirs if os.path.exists(os.path.join(d, h))), None)
    judge('header', f'<{h}>', path, where)

# ---- programs -----------------------------------------------------------------
SHELL_WORDS = set('''if then else elif fi for while until do done case esac in function select time
    return local export declare readonly typeset shift set unset source . exit break continue eval exec
    trap wait read echo printf cd pwd true false test [ [[ ]] ] kill let shopt type command builtin hash
    umask ulimit getopts jobs fg bg disown alias mapfile readarray pushd popd dirs enable compgen complete
    coproc caller logout suspend times help history'''.split())
# prefixes after which the next word is the program
WRAPPERS = {'exec', 'timeout', 'nohup', 'setsid', 'env', 'nice', 'ionice', 'sudo', 'xargs', 'tini',
            'chroot', 'stdbuf', 'command', 'unshare', 'nsenter', 'taskset', 'time', 'then', 'do', 'else',
            'if', 'while', 'until', '!', 'eval'}

project_programs = set()
for path in walk():
    project_programs.add(os.path.basename(path))
for am in walk(('Makefile.am',)):
    for m in re.finditer(r'^(?:bin|sbin|noinst|check|libexec|plugin)_PROGRAMS\s*\+?=\s*((?:.*\\\n)*.*)', open(am).read(), re.M):
        project_programs.update(m.group(1).replace('\\', ' ').split())


def strip_strings_and_comments(src):
    """Quoted strings (each becomes the word Q) and comments (dropped), as the
    shell reads them: a quote inside the other kind of quote, an escaped
    quote and a '#' inside a word are not what they seem, and a command
    substitution $( ) inside double quotes holds commands again."""
    n = len(src)

    def code(i, closing):
        """Shell code from i to the ')' that closes it (closing) or the end."""
        out, depth = [], 0
        while i < n:
            c = src[i]
            if c == '\\':
                out.append(src[i:i + 2])
                i += 2
            elif c == "'":
                j = src.find("'", i + 1)
                i = n if j < 0 else j + 1
                out.append(' Q ')
            elif c == '"':
                text, i = dquoted(i + 1)
                out.append(' Q ' + text + ' Q ')   # what follows is still arguments
            elif c == '#' and (i == 0 or src[i - 1] in ' \t\n;('):
                j = src.find('\n', i)
                i = n if j < 0 else j
            elif c == '(':
                depth += 1
                out.append(c)
                i += 1
            elif c == ')' and closing and depth == 0:
                return ''.join(out), i + 1
            else:
                depth -= c == ')'
                out.append(c)
                i += 1
        return ''.join(out), i

    def dquoted(i):
        """A double-quoted string from i (after its quote): the commands of its
        substitutions, and the index after its closing quote."""
        subs = []
        while i < n and src[i] != '"':
            if src[i] == '\\':
                i += 2
            elif src.startswith('$(', i) and not src.startswith('$((', i):
                text, i = code(i + 2, True)
                subs.append(' ; ' + text + ' ; ')
            else:
                i += 1
        return ''.join(subs), i + 1

    return code(0, False)[0]


def shell_commands(path):
    src = open(path, errors='replace').read()
    functions = set(re.findall(r'^\s*(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)', src, re.M))
    functions |= set(re.findall(r'^\s*function\s+([A-Za-z_][\w-]*)', src, re.M))
    # functions that run their arguments as a command: on() { "$lab" exec hosta -- "$@"; }
    runners = set()
    for name, body in re.findall(r'^\s*([A-Za-z_][\w-]*)\s*\(\)\s*(\{[^\n]*\}[ \t]*(?:#[^\n]*)?$|\{.*?^\s*\}[ \t]*$)', src, re.M | re.S):
        if re.search(r'(--\s+|\{\s*|;\s*|exec\s+(\S+\s+)?)"\$(@|\{@)', body):
            runners.add(name)
    # here-documents are data, not commands
    src = re.sub(r"<<-?\s*'?(\w+)'?[^\n]*\n.*?\n\s*\1\n", '\n', src, flags=re.S)
    src = strip_strings_and_comments(src)
    # arithmetic is data: $((covered + 1)) runs no program named covered
    # (a Debian package of that name made the variable look like one)
    src = re.sub(r'\$\(\((?:[^()]|\([^()]*\))*\)\)', ' Q ', src)
    # arrays and case patterns are data too
    src = re.sub(r'=\((?:[^()]|\n)*\)', '=Q', src)
    src = re.sub(r'^\s*[^\s()]+(?:\s*\|\s*[^\s()]+)*\)', ' ', src, flags=re.M)
    found = []
    for line in src.splitlines():
        # split into simple commands at operators and command substitutions
        for seg in re.split(r'\|\||&&|[|;&(){}`]|\$\(|\bthen\b|\bdo\b|\belse\b', line):
            words = seg.split()
            while words and (re.match(r'^\w+=', words[0]) or words[0] in WRAPPERS or
                             re.match(r'^-', words[0]) or re.match(r'^[0-9.]+[smh]?$', words[0])):
                words.pop(0)
            if not words:
                continue
            cands = [words[0]]
            # 'ip netns exec NS prog', 'lab exec ws -- prog', 'on prog' (a function that runs
            # its arguments): the word after '--', after 'exec NS', or after a function
            if '--' in words[:-1] and words[0] in runners | {'exec', 'Q'} | WRAPPERS:
                cands.append(words[words.index('--') + 1])
            if len(words) > 3 and words[:3] == ['ip', 'netns', 'exec']:
                cands.append(words[4] if len(words) > 4 and words[4] in WRAPPERS else words[3 + 1] if len(words) > 4 else words[3])
            if words[0] in runners and len(words) > 1:
                cands.append(words[1])
            for w in cands:
                w = w.strip('"\'')
                if re.match(r'^[a-z][a-z0-9_.+-]*$', w) and w not in SHELL_WORDS and w not in functions:
                    found.append(w)
    return found, functions


def python_commands(path):
    src = open(path, errors='replace').read()
    found = re.findall(r'(?:subprocess\.\w+|Popen|check_output|check_call|run)\(\s*\[\s*[\'"]([a-z][\w.+-]*)[\'"]', src)
    found += re.findall(r'(?:subprocess\.\w+|Popen|check_output|check_call)\(\s*[\'"]([a-z][\w.+-]*)\b', src)
    return found


programs = {}
all_functions = set()
for path in walk(dirs=['bench', 'tests', 'examples']):
    rel = os.path.relpath(path, top)
    try:
        head = open(path, errors='replace').readline()
    except OSError:
        continue
    if path.endswith('.py') or 'python' in head:
        for w in python_commands(path):
            programs.setdefault(w, rel)
    elif path.endswith(('.sh', '.t')) or re.match(r'#!.*\b(ba)?sh\b', head):
        words, functions = shell_commands(path)
        all_functions |= functions
        for w in words:
            programs.setdefault(w, rel)

for prog, where in sorted(programs.items()):
    if prog in all_functions or prog in project_programs:
        continue
    path = shutil.which(prog, path='/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
    judge('program', prog, path, where)

print(f'1..{n}')
sys.exit(1 if failed else 0)
