package dev.aigateway.core.telemetry;

import dev.aigateway.api.LedgerEntry;
import dev.aigateway.api.QuotaPeriod;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The ledger's CSV form (RFC 4180): a header line, then one record per row, CRLF line ends. A field
 * with a comma, a quote, a line break or surrounding spaces is quoted, its quotes doubled. A
 * consumer or model name that starts with a formula's first character ({@code = + - @}, a tab or a
 * carriage return) or an apostrophe is written after an apostrophe, which a spreadsheet shows as
 * text, and read back without it. Instants are ISO-8601, decimals plain, an empty cost field means
 * no cost.
 */
final class LedgerCsv {

  static final List<String> HEADER =
      List.of(
          "period",
          "period_start",
          "consumer",
          "model",
          "calls",
          "input_tokens",
          "cached_input_tokens",
          "output_tokens",
          "total_tokens",
          "estimated_tokens",
          "cost",
          "estimated_cost");

  private static final String EOL = "\r\n";

  /**
   * The first characters of a name written after an apostrophe: those a spreadsheet starts a
   * formula with (OWASP's list), and the apostrophe.
   */
  private static final String TEXT_MARKED = "=+-@\t\r'";

  private LedgerCsv() {}

  static void write(Iterable<LedgerEntry> entries, Writer out) throws IOException {
    out.write(String.join(",", HEADER));
    out.write(EOL);
    StringBuilder line = new StringBuilder(160);
    for (LedgerEntry e : entries) {
      line.setLength(0);
      line.append(e.period().name()).append(',').append(e.periodStart()).append(',');
      text(line, e.consumer()).append(',');
      text(line, e.model())
          .append(',')
          .append(e.calls())
          .append(',')
          .append(e.inputTokens())
          .append(',')
          .append(e.cachedInputTokens())
          .append(',')
          .append(e.outputTokens())
          .append(',')
          .append(e.totalTokens())
          .append(',')
          .append(e.estimatedTokens())
          .append(',')
          .append(nullableDecimal(e.cost()))
          .append(',')
          .append(nullableDecimal(e.estimatedCost()))
          .append(EOL);
      out.write(line.toString());
    }
    out.flush();
  }

  static List<LedgerEntry> read(Reader in) throws IOException {
    Records records = new Records(in);
    List<String> header = records.next();
    if (header == null) {
      throw new IOException("ledger CSV is empty; expected the header " + String.join(",", HEADER));
    }
    if (!header.isEmpty() && header.get(0).startsWith("\uFEFF")) { // a byte-order mark
      header.set(0, header.get(0).substring(1));
    }
    if (!header.equals(HEADER)) {
      throw new IOException(
          "ledger CSV header must be "
              + String.join(",", HEADER)
              + " but was "
              + String.join(",", header));
    }
    List<LedgerEntry> entries = new ArrayList<>();
    for (List<String> f = records.next(); f != null; f = records.next()) {
      int line = records.line;
      if (f.size() != HEADER.size()) {
        throw new IOException(
            "ledger CSV record at line "
                + line
                + " must have "
                + HEADER.size()
                + " fields but had "
                + f.size()
                + ": "
                + f);
      }
      try {
        entries.add(
            new LedgerEntry(
                Instant.parse(f.get(1)),
                QuotaPeriod.valueOf(f.get(0)),
                name(f.get(2)),
                name(f.get(3)),
                Long.parseLong(f.get(4)),
                Long.parseLong(f.get(5)),
                Long.parseLong(f.get(6)),
                Long.parseLong(f.get(7)),
                Long.parseLong(f.get(8)),
                Long.parseLong(f.get(9)),
                parseDecimal(f.get(10)),
                parseDecimal(f.get(11))));
      } catch (RuntimeException e) { // DateTimeParseException, NumberFormatException, ...
        throw new IOException(
            "ledger CSV record at line " + line + " is malformed (" + e.getMessage() + "): " + f,
            e);
      }
    }
    return entries;
  }

  /**
   * Writes a consumer or model name: after an apostrophe when it starts with a character a
   * spreadsheet takes for the start of a formula ({@code = + - @}, a tab or a carriage return), or
   * with an apostrophe itself (so that {@link #name} can take exactly one off); quoted as RFC 4180
   * needs.
   */
  private static StringBuilder text(StringBuilder line, String name) {
    String value = !name.isEmpty() && TEXT_MARKED.indexOf(name.charAt(0)) >= 0 ? "'" + name : name;
    boolean quote = value.isEmpty() || value.strip().length() != value.length();
    for (int i = 0; i < value.length() && !quote; i++) {
      char c = value.charAt(i);
      quote = c == ',' || c == '"' || c == '\r' || c == '\n';
    }
    return quote
        ? line.append('"').append(value.replace("\"", "\"\"")).append('"')
        : line.append(value);
  }

  /** A consumer or model name as {@link #text} wrote it: without the apostrophe it put first. */
  private static String name(String field) {
    return field.startsWith("'") ? field.substring(1) : field;
  }

  /** A decimal as text that parses back to an equal value (same scale): plain unless scale < 0. */
  static String decimal(BigDecimal value) {
    return value.scale() >= 0 ? value.toPlainString() : value.toString();
  }

  private static String nullableDecimal(BigDecimal value) {
    return value == null ? "" : decimal(value);
  }

  private static BigDecimal parseDecimal(String text) {
    return text.isEmpty() ? null : new BigDecimal(text);
  }

  /** Splits RFC 4180 text into records of fields; quoted fields may span lines. */
  private static final class Records {
    private final Reader in;
    private int c = -2; // the current character; -1 at the end, -2 before the first read
    private int lines = 1;
    int line; // the line the last record started on, 1-based

    Records(Reader in) {
      this.in = in;
    }

    /** The next record's fields, or null at the end. Blank lines carry no record. */
    List<String> next() throws IOException {
      if (c == -2) {
        c = in.read();
      }
      while (c == '\r' || c == '\n') {
        endLine();
      }
      if (c == -1) {
        return null;
      }
      line = lines;
      List<String> fields = new ArrayList<>(HEADER.size());
      StringBuilder field = new StringBuilder();
      while (true) {
        if (c == '"') {
          quoted(field);
        } else {
          while (c != ',' && c != '\r' && c != '\n' && c != -1) {
            field.append((char) c);
            c = in.read();
          }
        }
        fields.add(field.toString());
        field.setLength(0);
        if (c != ',') {
          if (c != -1) {
            endLine();
          }
          return fields;
        }
        c = in.read();
      }
    }

    /** Reads a quoted field (c is its opening quote) up to the character after its end. */
    private void quoted(StringBuilder field) throws IOException {
      int start = lines;
      while (true) {
        int previous = c;
        c = in.read();
        if (c == -1) {
          throw new IOException(
              "ledger CSV has an unterminated quoted field starting at line " + start);
        }
        if (c == '"') {
          c = in.read();
          if (c != '"') {
            if (c != ',' && c != '\r' && c != '\n' && c != -1) {
              throw new IOException(
                  "ledger CSV line "
                      + lines
                      + ": unexpected '"
                      + (char) c
                      + "' after the closing quote of \""
                      + field
                      + "\"");
            }
            return;
          }
        } else if (c == '\r' || (c == '\n' && previous != '\r')) {
          lines++; // a line end inside the field: CR, LF or CRLF, as endLine counts them
        }
        field.append((char) c);
      }
    }

    /** Consumes a line end: CR, LF or CRLF (c is its first character). */
    private void endLine() throws IOException {
      lines++;
      boolean cr = c == '\r';
      c = in.read();
      if (cr && c == '\n') {
        c = in.read();
      }
    }
  }
}
