import { FleetError } from "../errors.js";

/**
 * A small RFC 4180 reader: comma-separated fields, CRLF or LF between records, double-quoted fields that
 * may hold commas, quotes (doubled) and line breaks. Returns every record, the header included; blank
 * lines are skipped.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  let fieldStarted = false;
  const input = text.startsWith("\uFEFF") ? text.slice(1) : text;

  const endRecord = (): void => {
    if (fieldStarted || record.length > 0) {
      record.push(field);
      records.push(record);
    }
    record = [];
    field = "";
    fieldStarted = false;
  };

  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (input[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
      continue;
    }
    if (ch === '"' && field === "") {
      quoted = true;
      fieldStarted = true;
    } else if (ch === ",") {
      record.push(field);
      field = "";
      fieldStarted = true;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && input[i + 1] === "\n") i++;
      endRecord();
    } else {
      field += ch;
      fieldStarted = true;
    }
  }
  if (quoted) throw new FleetError("INVALID_INPUT", 'CSV ends inside a quoted field (unbalanced `"`)');
  endRecord();
  return records;
}
