package dev.aigateway.core.telemetry;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import dev.aigateway.api.LedgerEntry;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.core.wire.Json;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The ledger's JSON form: an array of objects named like {@link LedgerEntry}'s components. Instants
 * are ISO-8601 strings; costs are decimal strings (exact in every JSON reader) or null.
 */
final class LedgerJson {

  // A cost written as a JSON number is read exactly too, trailing zeros (its scale) included.
  private static final ObjectReader READER =
      Json.MAPPER
          .reader()
          .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .without(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES);

  private LedgerJson() {}

  static void write(Iterable<LedgerEntry> entries, Writer out) throws IOException {
    try (JsonGenerator json = Json.MAPPER.getFactory().createGenerator(out)) {
      json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET); // the caller's writer stays open
      json.useDefaultPrettyPrinter();
      json.writeStartArray();
      for (LedgerEntry e : entries) {
        json.writeStartObject();
        json.writeStringField("period", e.period().name());
        json.writeStringField("periodStart", e.periodStart().toString());
        json.writeStringField("consumer", e.consumer());
        json.writeStringField("model", e.model());
        json.writeNumberField("calls", e.calls());
        json.writeNumberField("inputTokens", e.inputTokens());
        json.writeNumberField("cachedInputTokens", e.cachedInputTokens());
        json.writeNumberField("outputTokens", e.outputTokens());
        json.writeNumberField("totalTokens", e.totalTokens());
        json.writeNumberField("estimatedTokens", e.estimatedTokens());
        decimal(json, "cost", e.cost());
        decimal(json, "estimatedCost", e.estimatedCost());
        json.writeEndObject();
      }
      json.writeEndArray();
    }
    out.flush();
  }

  static List<LedgerEntry> read(Reader in) throws IOException {
    JsonNode root;
    try (JsonParser parser = READER.createParser(in)) {
      parser.disable(JsonParser.Feature.AUTO_CLOSE_SOURCE); // the caller's reader stays open
      root = READER.readTree(parser);
    }
    if (root == null || !root.isArray()) {
      throw new IOException(
          "ledger JSON must be an array of rows but was "
              + (root == null ? "empty" : root.getNodeType()));
    }
    List<LedgerEntry> entries = new ArrayList<>(root.size());
    for (int i = 0; i < root.size(); i++) {
      JsonNode row = root.get(i);
      try {
        entries.add(
            new LedgerEntry(
                Instant.parse(text(row, "periodStart")),
                QuotaPeriod.valueOf(text(row, "period")),
                text(row, "consumer"),
                text(row, "model"),
                count(row, "calls"),
                count(row, "inputTokens"),
                count(row, "cachedInputTokens"),
                count(row, "outputTokens"),
                count(row, "totalTokens"),
                count(row, "estimatedTokens"),
                decimal(row, "cost"),
                decimal(row, "estimatedCost")));
      } catch (RuntimeException e) {
        throw new IOException(
            "ledger JSON row " + i + " is malformed (" + e.getMessage() + "): " + row, e);
      }
    }
    return entries;
  }

  private static void decimal(JsonGenerator json, String name, BigDecimal value)
      throws IOException {
    if (value == null) {
      json.writeNullField(name);
    } else {
      json.writeStringField(name, LedgerCsv.decimal(value));
    }
  }

  private static String text(JsonNode row, String field) {
    JsonNode value = row.get(field);
    if (value == null || !value.isTextual()) {
      throw new IllegalArgumentException(field + " must be a string but was " + value);
    }
    return value.textValue();
  }

  private static long count(JsonNode row, String field) {
    JsonNode value = row.get(field);
    if (value == null || !value.isIntegralNumber() || !value.canConvertToLong()) {
      throw new IllegalArgumentException(field + " must be a whole number but was " + value);
    }
    return value.longValue();
  }

  private static BigDecimal decimal(JsonNode row, String field) {
    JsonNode value = row.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (value.isTextual()) {
      return new BigDecimal(value.textValue());
    }
    if (value.isNumber() && !value.isDouble() && !value.isFloat()) {
      return value.decimalValue();
    }
    throw new IllegalArgumentException(
        field + " must be a decimal string or null but was " + value);
  }
}
