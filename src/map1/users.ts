/**
 * The run-as user of a MAP 1.0, added without running anything. holoscan-cli 4.2.0 runs
 * `userdel -r ubuntu` (when present), `groupadd -f -g GID NAME`, `useradd -rm -d /home/NAME
 * -s /bin/bash -g GID -G sudo -u UID NAME`; here the same edits are made to the base's
 * /etc/passwd, group, shadow and gshadow text, and the home folder is planned from /etc/skel.
 *
 * Differences, on purpose: no `sudo` group in the base means no sudo membership (useradd would
 * fail), and a GID already used by another group is used as the primary group as is (groupadd -f
 * would create NAME under some other free GID that nobody uses).
 */
import { MapBuildError } from "../errors.js";

export interface AccountFiles {
  passwd: string;
  group?: string;
  shadow?: string;
  gshadow?: string;
  /** /etc/login.defs, for the home folder's mode. */
  loginDefs?: string;
}

export interface NewUser {
  name: string;
  uid: number;
  gid: number;
  /** Seconds since the epoch (SOURCE_DATE_EPOCH): shadow's "last change" day. */
  epoch: number;
}

export interface AccountEdit {
  files: Required<Pick<AccountFiles, "passwd">> & Omit<AccountFiles, "passwd" | "loginDefs">;
  home: string;
  homeMode: number;
  /** Home folder of the removed `ubuntu` user, to delete (whiteout) when the base has it. */
  removedHome?: string;
  /** Whether the user was added to an existing `sudo` group. */
  sudo: boolean;
}

type Row = string[];

const parse = (text: string): Row[] => text.split("\n").filter((l) => l !== "").map((l) => l.split(":"));
const render = (rows: Row[]): string => rows.map((r) => r.join(":")).join("\n") + (rows.length ? "\n" : "");

function members(field: string | undefined): string[] {
  return (field ?? "").split(",").filter((m) => m !== "");
}

function withoutMember(field: string | undefined, name: string): string {
  return members(field).filter((m) => m !== name).join(",");
}

function withMember(field: string | undefined, name: string): string {
  const m = members(field);
  return (m.includes(name) ? m : [...m, name]).join(",");
}

/** login.defs: HOME_MODE, else 0777 & ~UMASK, else 0755 (useradd's own fallbacks). */
export function homeModeFrom(loginDefs: string | undefined): number {
  const value = (key: string) => new RegExp(`^\\s*${key}\\s+(\\S+)`, "m").exec(loginDefs ?? "")?.[1];
  const mode = value("HOME_MODE");
  if (mode && /^0?[0-7]{3,4}$/.test(mode)) return parseInt(mode, 8);
  const umask = value("UMASK");
  if (umask && /^0?[0-7]{3,4}$/.test(umask)) return 0o777 & ~parseInt(umask, 8);
  return 0o755;
}

function taken(what: string, who: string, hint: string): MapBuildError {
  return new MapBuildError("E_USAGE", `${what} is already taken by ${who} in the base image`, { hint });
}

export function addRunUser(base: AccountFiles, user: NewUser): AccountEdit {
  if (!/^[a-z_][a-z0-9_-]*\$?$/i.test(user.name) || user.name.length > 32) {
    throw new MapBuildError("E_USAGE", `invalid user name "${user.name}"`, { hint: "use a name such as holoscan: letters, digits, _ and -, at most 32 characters" });
  }
  for (const [what, id] of [["uid", user.uid], ["gid", user.gid]] as const) {
    if (!Number.isSafeInteger(id) || id < 0 || id > 0x7fffffff) throw new MapBuildError("E_USAGE", `invalid ${what} ${id}`, { hint: `pass a whole number such as 1000` });
  }
  let passwd = parse(base.passwd);
  let group = base.group === undefined ? undefined : parse(base.group);
  let shadow = base.shadow === undefined ? undefined : parse(base.shadow);
  let gshadow = base.gshadow === undefined ? undefined : parse(base.gshadow);

  // userdel -r ubuntu: the account, its own group when nobody else is in it, its memberships
  const ubuntu = passwd.find((r) => r[0] === "ubuntu");
  let removedHome: string | undefined;
  if (ubuntu && user.name !== "ubuntu") {
    removedHome = ubuntu[5] || undefined;
    passwd = passwd.filter((r) => r !== ubuntu);
    shadow = shadow?.filter((r) => r[0] !== "ubuntu");
    const own = group?.find((r) => r[0] === "ubuntu" && r[2] === ubuntu[3] && members(r[3]).every((m) => m === "ubuntu"));
    const stillPrimary = own !== undefined && passwd.some((r) => r[3] === own[2]);
    if (own && !stillPrimary) {
      group = group?.filter((r) => r !== own);
      gshadow = gshadow?.filter((r) => r[0] !== "ubuntu");
    }
    group = group?.map((r) => (members(r[3]).includes("ubuntu") ? [...r.slice(0, 3), withoutMember(r[3], "ubuntu"), ...r.slice(4)] : r));
    gshadow = gshadow?.map((r) => [r[0]!, r[1] ?? "", withoutMember(r[2], "ubuntu"), withoutMember(r[3], "ubuntu"), ...r.slice(4)]);
  }

  const byName = passwd.find((r) => r[0] === user.name);
  if (byName) throw taken(`user name "${user.name}"`, `the user ${user.name} (uid ${byName[2]})`, "pick another name for the run-as user, or a base without that user");
  const byUid = passwd.find((r) => r[2] === String(user.uid));
  if (byUid) throw taken(`uid ${user.uid}`, `the user ${byUid[0]}`, "pick another uid for the run-as user");

  // groupadd -f -g GID NAME
  if (group && !group.some((r) => r[0] === user.name) && !group.some((r) => r[2] === String(user.gid))) {
    group.push([user.name, "x", String(user.gid), ""]);
    gshadow?.push([user.name, "!", "", ""]);
  }
  // useradd -r -m -s /bin/bash -G sudo
  const home = `/home/${user.name}`;
  passwd.push([user.name, "x", String(user.uid), String(user.gid), "", home, "/bin/bash"]);
  const day = Math.floor(user.epoch / 86400);
  shadow?.push([user.name, "!", day > 0 ? String(day) : "", "", "", "", "", "", ""]);
  const sudo = group?.some((r) => r[0] === "sudo") ?? false;
  if (sudo) {
    group = group?.map((r) => (r[0] === "sudo" ? [r[0], r[1] ?? "x", r[2] ?? "", withMember(r[3], user.name)] : r));
    gshadow = gshadow?.map((r) => (r[0] === "sudo" ? [r[0], r[1] ?? "", r[2] ?? "", withMember(r[3], user.name)] : r));
  }
  return {
    files: {
      passwd: render(passwd),
      ...(group ? { group: render(group) } : {}),
      ...(shadow ? { shadow: render(shadow) } : {}),
      ...(gshadow ? { gshadow: render(gshadow) } : {}),
    },
    home,
    homeMode: homeModeFrom(base.loginDefs),
    ...(removedHome ? { removedHome } : {}),
    sudo,
  };
}
