/**
 * Large-file throughput: downloads a URL with `curl -o /dev/null` a few times,
 * one after another, and reports each download's speed in MB/s (10^6 bytes per
 * second). Each download is bounded by `--max-time`.
 *
 * @module
 */

/** What {@link download} measured. */
export interface DownloadResult {
  /** Speed of each download, in MB/s, in the order they ran. */
  mbps: number[];
  /** Downloads that failed or came back short. */
  errors: number;
}

/** Downloads `url` `times` times and checks each got `expectedBytes`. */
export async function download(
  url: string,
  times: number,
  expectedBytes: number,
): Promise<DownloadResult> {
  const mbps: number[] = [];
  let errors = 0;
  for (let i = 0; i < times; i++) {
    const { success, stdout } = await new Deno.Command("curl", {
      args: [
        "-s",
        "-o",
        "/dev/null",
        "--max-time",
        "60",
        "-w",
        "%{http_code} %{size_download} %{speed_download}",
        url,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    const [code, size, speed] = new TextDecoder().decode(stdout).split(" ")
      .map(Number);
    if (success && code === 200 && size === expectedBytes) {
      mbps.push(speed / 1e6);
    } else {
      errors++;
    }
  }
  return { mbps, errors };
}
