// Reads iCalendar data the way Thunderbird does (ical.js) and prints its VEVENTs as JSON.
//
//   node icaljs_events.mjs < feed.ics          -> [{uid, start, end, summary, status, tzid, ...}]
//   node icaljs_events.mjs --batch < list.json -> one result per calendar text in the JSON list:
//                                                 {"events": [...]} or {"error": "..."}
//   node icaljs_events.mjs --offsets < job.json -> Unix seconds of local wall times read through a
//        calendar's VTIMEZONE; job = {"calendar": "BEGIN:VCALENDAR...", "tzid": "...",
//        "times": ["2025-03-30T03:30:00", ...]}
//
// start/end are Unix seconds (UTC). tzid is the zone ical.js resolved for DTSTART/DTEND: "UTC",
// the TZID, or "floating" when it could not resolve the TZID (the classic time-zone bug).
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

function zoneName(time) {
  if (time.isDate) return "date";
  if (!time.zone || time.zone === ICAL.Timezone.localTimezone) return "floating";
  return time.zone.tzid;
}

function readEvents(text) {
  ICAL.TimezoneService.reset();
  const root = new ICAL.Component(ICAL.parse(text));
  if (root.name !== "vcalendar") throw new Error(`top component is ${root.name}`);
  for (const vtimezone of root.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(vtimezone);
  }
  // Re-read after registering so every property resolves its TZID through the service.
  const calendar = new ICAL.Component(ICAL.parse(text));
  return calendar.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    const start = event.startDate;
    const end = event.endDate;
    return {
      uid: event.uid,
      start: start.toUnixTime(),
      end: end.toUnixTime(),
      start_local: start.toString(),
      tzid: zoneName(start),
      end_tzid: zoneName(end),
      summary: event.summary ?? "",
      description: event.description ?? "",
      location: event.location ?? "",
      status: vevent.getFirstPropertyValue("status") ?? "",
      sequence: event.sequence ?? 0,
      categories: vevent
        .getAllProperties("categories")
        .flatMap((prop) => prop.getValues().map(String)),
    };
  });
}

const input = readFileSync(0, "utf8");
function wallTimes(job) {
  ICAL.TimezoneService.reset();
  const root = new ICAL.Component(ICAL.parse(job.calendar));
  for (const vtimezone of root.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(vtimezone);
  }
  const zone = ICAL.TimezoneService.get(job.tzid);
  if (!zone) throw new Error(`time zone ${job.tzid} not registered`);
  return job.times.map((text) => {
    const time = ICAL.Time.fromDateTimeString(text);
    return ICAL.Time.fromData(
      {
        year: time.year,
        month: time.month,
        day: time.day,
        hour: time.hour,
        minute: time.minute,
        second: time.second,
      },
      zone,
    ).toUnixTime();
  });
}

if (process.argv.includes("--offsets")) {
  process.stdout.write(JSON.stringify(wallTimes(JSON.parse(input))));
} else if (process.argv.includes("--batch")) {
  const results = JSON.parse(input).map((text) => {
    try {
      return { events: readEvents(text) };
    } catch (error) {
      return { error: String(error && error.message ? error.message : error) };
    }
  });
  process.stdout.write(JSON.stringify(results));
} else {
  try {
    process.stdout.write(JSON.stringify(readEvents(input)));
  } catch (error) {
    process.stderr.write(`ical.js could not read the calendar: ${error.message ?? error}\n`);
    process.exit(1);
  }
}
