import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { addRunUser, homeModeFrom } from "../../../src/map1/users.js";
import { renderToolsScript } from "../../../src/map1/tools-script.js";

/** Ubuntu 24.04's account files, trimmed: `ubuntu` is uid 1000 and in adm and sudo. */
const UBUNTU = {
  passwd: "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n",
  group: "root:x:0:\nadm:x:4:syslog,ubuntu\nsudo:x:27:ubuntu\nshadow:x:42:\nubuntu:x:1000:\n",
  shadow: "root:*:19000:0:99999:7:::\nubuntu:!:19000:0:99999:7:::\n",
  gshadow: "root:*::\nadm:*::syslog,ubuntu\nsudo:*::ubuntu\nshadow:*::\nubuntu:!::\n",
  loginDefs: "UMASK\t\t022\nHOME_MODE\t0750\n",
};

describe("run-as user", () => {
  it("replaces ubuntu at 1000 with holoscan, as userdel -r + groupadd + useradd -rm -G sudo", () => {
    const out = addRunUser(UBUNTU, { name: "holoscan", uid: 1000, gid: 1000, epoch: 86400 * 20000 + 5 });
    assert.equal(out.files.passwd, "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nholoscan:x:1000:1000::/home/holoscan:/bin/bash\n");
    assert.equal(out.files.group, "root:x:0:\nadm:x:4:syslog\nsudo:x:27:holoscan\nshadow:x:42:\nholoscan:x:1000:\n");
    assert.equal(out.files.shadow, "root:*:19000:0:99999:7:::\nholoscan:!:20000::::::\n");
    assert.equal(out.files.gshadow, "root:*::\nadm:*::syslog\nsudo:*::holoscan\nshadow:*::\nholoscan:!::\n");
    assert.equal(out.home, "/home/holoscan");
    assert.equal(out.homeMode, 0o750);
    assert.equal(out.removedHome, "/home/ubuntu");
    assert.equal(out.sudo, true);
  });

  it("adds to a base without sudo, shadow or gshadow and keeps an existing group", () => {
    const out = addRunUser({ passwd: "root:x:0:0:root:/root:/bin/sh", group: "root:x:0:\nstaff:x:50:" }, { name: "app", uid: 2000, gid: 50, epoch: 0 });
    assert.equal(out.files.passwd, "root:x:0:0:root:/root:/bin/sh\napp:x:2000:50::/home/app:/bin/bash\n");
    assert.equal(out.files.group, "root:x:0:\nstaff:x:50:\n");
    assert.equal(out.files.shadow, undefined);
    assert.equal(out.sudo, false);
    assert.equal(out.homeMode, 0o755);
  });

  it("refuses a name or uid another user has", () => {
    const base = { passwd: "root:x:0:0:root:/root:/bin/bash\nsvc:x:1000:1000::/home/svc:/bin/sh\n" };
    assert.throws(() => addRunUser(base, { name: "holoscan", uid: 1000, gid: 1000, epoch: 0 }), /uid 1000 is already taken by the user svc/);
    assert.throws(() => addRunUser(base, { name: "svc", uid: 1001, gid: 1001, epoch: 0 }), /user name "svc" is already taken/);
    assert.throws(() => addRunUser(base, { name: "bad name", uid: 1001, gid: 1001, epoch: 0 }), /invalid user name/);
  });

  it("home mode follows login.defs", () => {
    assert.equal(homeModeFrom("UMASK 027\n"), 0o750);
    assert.equal(homeModeFrom("# HOME_MODE 0700\n"), 0o755);
  });
});

describe("tools script", () => {
  it("is POSIX sh and runs the command with the arguments appended", () => {
    const script = renderToolsScript(["echo", "it's", "$HOME"]);
    execFileSync("sh", ["-n", "-c", script]);
    const out = execFileSync("sh", ["-c", script, "tools", "--flag", "x y"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    assert.equal(out, "it's $HOME --flag x y\n");
    assert.match(execFileSync("sh", ["-c", script, "tools", "help"], { encoding: "utf8" }), /USAGE: \/var\/holoscan\/tools/);
  });
});
