// An address of this machine that is not loopback, on an interface the test makes and removes:
// Docker treats registries on 127.0.0.0/8 as insecure (it would not verify their certificate),
// so HTTPS is proven with docker on such an address. A bridge without ports: traffic to its
// address stays on this machine, like loopback's. The interface's name carries the test
// process's id: one left behind by a process that was killed is removed by the next test that
// makes one.
import { randomInt } from "node:crypto";
import { run } from "./exec.js";
import { isRunning } from "./processes.js";

const PREFIX = "btls"; // + pid (at most 7 digits) + x + 2 digits: within 15 characters

export class TestAddress {
  private constructor(
    /** The interface's name (`btls<pid>x<n>`: the process that made it). */
    readonly device: string,
    /** An IPv4 address in 198.18.0.0/15 (RFC 2544's range for tests), /32 on the interface. */
    readonly address: string,
  ) {}

  /** Makes the interface and its address (root only). */
  static async create(): Promise<TestAddress> {
    await TestAddress.removeOrphans();
    const taken = (await run("ip", ["-4", "-o", "addr", "show"])).stdout;
    for (let attempt = 0; attempt < 20; attempt++) {
      const address = `198.18.${randomInt(1, 255)}.${randomInt(1, 255)}`;
      if (taken.includes(` ${address}/`)) continue;
      const device = `${PREFIX}${process.pid}x${randomInt(100)}`;
      const made = new TestAddress(device, address);
      for (const args of [["link", "add", device, "type", "bridge"], ["addr", "add", `${address}/32`, "dev", device], ["link", "set", device, "up"]]) {
        const r = await run("ip", args);
        if (r.code !== 0) {
          await made.remove();
          throw new Error(`ip ${args.join(" ")} failed (the HTTPS tests need root to make an interface):\n${r.describe}`);
        }
      }
      return made;
    }
    throw new Error("no free address in 198.18.0.0/15");
  }

  /** Removes the interfaces of test processes that are gone (killed before they cleaned up). */
  private static async removeOrphans(): Promise<void> {
    const links = (await run("ip", ["-o", "link", "show"])).stdout;
    for (const [, device, pid] of links.matchAll(new RegExp(`^\\d+: (${PREFIX}(\\d+)x\\d+)[:@]`, "gm"))) {
      if (!isRunning(Number(pid))) await run("ip", ["link", "del", device!]);
    }
  }

  /** Removes the interface (and with it the address); fine when it is already gone. */
  async remove(): Promise<void> {
    await run("ip", ["link", "del", this.device]);
  }
}
