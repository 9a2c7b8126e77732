/**
 * Go's time formatting, for drone-email templates: `{{ datetime build.created "Mon Jan 2
 * 15:04:05 MST 2006" "Local" }}` takes a Go reference-time layout and a zone name, and
 * `{{ duration build.started build.finished }}` prints Go's `1m35s`.
 */

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** The layout's elements, longest first, as Go's `nextStdChunk` tells them apart. */
const ELEMENT =
  /January|Jan|Monday|Mon|MST|2006|Z07:00|Z0700|-07:00|-0700|-07|\.000000000|\.000000|\.000|01|02|03|04|05|06|_2|15|PM|pm|1|2|3|4|5/g;

interface Parts {
  year: number;
  month: number;
  day: number;
  weekday: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** Minutes east of UTC. */
  offset: number;
  abbreviation: string;
}

/**
 * `zone` as in Go's `time.LoadLocation`: an IANA name, `UTC`, or `Local`/empty for the
 * container's zone (`TZ`). An unknown name falls back to the local zone, as drone-email does.
 */
function zoneOf(zone: string | undefined): string | undefined {
  if (!zone || zone === "Local") return process.env.TZ || undefined;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return zone;
  } catch {
    return process.env.TZ || undefined;
  }
}

function partsOf(date: Date, timeZone: string | undefined): Parts {
  const format = (options: Intl.DateTimeFormatOptions) =>
    new Intl.DateTimeFormat("en-US", { ...(timeZone ? { timeZone } : {}), ...options }).formatToParts(date);
  const numeric = format({
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
    hourCycle: "h23",
    weekday: "long",
  });
  const part = (type: string) => numeric.find((item) => item.type === type)?.value ?? "";
  const longOffset =
    format({ timeZoneName: "longOffset" }).find((item) => item.type === "timeZoneName")?.value ?? "";
  const [, sign = "+", hours = "0", minutes = "0"] = /GMT([+-])(\d\d):?(\d\d)?/.exec(longOffset) ?? [];
  const offset = (sign === "-" ? -1 : 1) * (Number(hours) * 60 + Number(minutes));
  const short =
    format({ timeZoneName: "short" }).find((item) => item.type === "timeZoneName")?.value ?? "UTC";
  return {
    year: Number(part("year")),
    month: Number(part("month")),
    day: Number(part("day")),
    weekday: DAYS.indexOf(part("weekday")),
    hour: Number(part("hour")) % 24,
    minute: Number(part("minute")),
    second: Number(part("second")),
    millisecond: date.getUTCMilliseconds(),
    offset,
    abbreviation: short === "GMT" && offset === 0 ? "UTC" : short,
  };
}

const pad = (value: number, width = 2) => String(value).padStart(width, "0");

function offsetText(minutes: number, colon: boolean, zulu: boolean, hoursOnly = false): string {
  if (zulu && minutes === 0) return "Z";
  const sign = minutes < 0 ? "-" : "+";
  const absolute = Math.abs(minutes);
  const hours = pad(Math.floor(absolute / 60));
  if (hoursOnly) return `${sign}${hours}`;
  return `${sign}${hours}${colon ? ":" : ""}${pad(absolute % 60)}`;
}

export function formatGoTime(date: Date, layout: string, zone?: string): string {
  const parts = partsOf(date, zoneOf(zone));
  const hour12 = parts.hour % 12 === 0 ? 12 : parts.hour % 12;
  return layout.replace(ELEMENT, (element) => {
    switch (element) {
      case "January":
        return MONTHS[parts.month - 1] ?? "";
      case "Jan":
        return (MONTHS[parts.month - 1] ?? "").slice(0, 3);
      case "Monday":
        return DAYS[parts.weekday] ?? "";
      case "Mon":
        return (DAYS[parts.weekday] ?? "").slice(0, 3);
      case "MST":
        return parts.abbreviation;
      case "2006":
        return String(parts.year);
      case "06":
        return pad(parts.year % 100);
      case "01":
        return pad(parts.month);
      case "1":
        return String(parts.month);
      case "02":
        return pad(parts.day);
      case "_2":
        return String(parts.day).padStart(2, " ");
      case "2":
        return String(parts.day);
      case "15":
        return pad(parts.hour);
      case "03":
        return pad(hour12);
      case "3":
        return String(hour12);
      case "04":
        return pad(parts.minute);
      case "4":
        return String(parts.minute);
      case "05":
        return pad(parts.second);
      case "5":
        return String(parts.second);
      case "PM":
        return parts.hour >= 12 ? "PM" : "AM";
      case "pm":
        return parts.hour >= 12 ? "pm" : "am";
      case "Z07:00":
        return offsetText(parts.offset, true, true);
      case "Z0700":
        return offsetText(parts.offset, false, true);
      case "-07:00":
        return offsetText(parts.offset, true, false);
      case "-0700":
        return offsetText(parts.offset, false, false);
      case "-07":
        return offsetText(parts.offset, false, false, true);
      default:
        // .000 and longer: fractional seconds to that many digits.
        return `.${pad(parts.millisecond, 3).padEnd(element.length - 1, "0")}`;
    }
  });
}

/** Go's `time.Duration.String()` for whole seconds: `0s`, `35s`, `1m35s`, `2h0m5s`. */
export function formatGoDuration(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds)) return "";
  const negative = totalSeconds < 0;
  let rest = Math.abs(Math.trunc(totalSeconds));
  const hours = Math.floor(rest / 3600);
  rest %= 3600;
  const minutes = Math.floor(rest / 60);
  const seconds = rest % 60;
  const text =
    hours > 0 ? `${hours}h${minutes}m${seconds}s` : minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
  return negative ? `-${text}` : text;
}
