package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.Usage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A Gemini stream read by one {@link GeminiResponses} (whole responses on their bytes, later ones
 * against the kept template, their usage made when asked for) learns after every response exactly
 * what the parser learns reading the same responses one by one: random streams, plain as Google
 * writes them and with odd values (escapes, counts near and beyond {@link Long#MAX_VALUE},
 * fractions, negative counts, changed modalities, models and shapes, cut responses).
 */
@Tag("compute-bound")
class GeminiResponsesTest {

  private static final String[] TEXTS = {
    "Hello",
    " team",
    "",
    " a \\\"quote\\\"",
    " caf\u00e9 \uD83D\uDE00",
    " \\u00e9\\n",
    " {}[]:,",
    " \\\\",
    " finishReason",
    " \\\"finishReason\\\":\\\"STOP\\\""
  };

  private static final String[] COUNTS = {
    "0",
    "7",
    "14",
    "123456789012345678",
    "999999999999999999",
    "9223372036854775807",
    "9223372036854775808",
    "99999999999999999999",
    "-2",
    "-0",
    "3.0",
    "1e2",
    "1E+2",
    "12.5"
  };

  @Test
  void aStreamReadAgainstItsTemplateTeachesWhatTheParserTeaches() {
    Random random = new Random(1515);
    int templateReads = 0;
    int finishedByTemplate = 0;
    for (int stream = 0; stream < 2000; stream++) {
      Shape shape = Shape.random(random);
      GeminiResponses responses = new GeminiResponses();
      ResponseReadout bytes = new ResponseReadout();
      ResponseReadout parsed = new ResponseReadout();
      if (random.nextInt(8) == 0) {
        bytes.keepText();
        parsed.keepText();
      }
      int events = 2 + random.nextInt(12);
      List<String> seen = new ArrayList<>();
      for (int event = 0; event < events; event++) {
        String response = shape.response(random, event, event == events - 1);
        seen.add(response);
        byte[] data = ("data: " + response + "\n").getBytes(StandardCharsets.UTF_8);
        int to = data.length - 1;

        int readsBefore = responses.templateReads();
        responses.read(bytes, data, 6, to);
        GeminiFormat.readResponse(parsed, data, 6, to);
        if (responses.templateReads() > readsBefore && bytes.complete()) {
          finishedByTemplate++;
        }

        String what = String.join("\n", seen);
        if (event == events - 1) {
          bytes.streamEnded();
          parsed.streamEnded();
          assertThat(bytes.usage()).as(what).isEqualTo(parsed.usage());
        } else if (random.nextInt(3) == 0) {
          // asked for mid-stream: the counts read so far are made a usage now
          assertThat(bytes.usage()).as(what).isEqualTo(parsed.usage());
        }
        assertThat(bytes.model()).as(what).isEqualTo(parsed.model());
        assertThat(bytes.complete()).as(what).isEqualTo(parsed.complete());
        assertThat(bytes.text().toString()).as(what).isEqualTo(parsed.text().toString());
      }
      templateReads += responses.templateReads();
    }
    assertThat(templateReads).as("responses read against a template").isGreaterThan(2_000);
    assertThat(finishedByTemplate)
        .as("responses that added a finish reason to the template's candidate")
        .isGreaterThan(300);
  }

  @Test
  void googlesPlainChunksAfterTheFirstAreReadAgainstTheTemplate() {
    GeminiResponses responses = new GeminiResponses();
    ResponseReadout readout = new ResponseReadout();
    String[] words = {"Hello", " team,", " good", " to", " see", " you"};
    for (int i = 0; i < words.length; i++) {
      byte[] chunk =
          ("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\""
                  + words[i]
                  + "\"}],\"role\":\"model\"}"
                  + (i == words.length - 1 ? ",\"finishReason\":\"STOP\"" : "")
                  + ",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":14,"
                  + "\"candidatesTokenCount\":"
                  + (i + 1)
                  + ",\"totalTokenCount\":"
                  + (15 + i)
                  + ",\"promptTokensDetails\":[{\"modality\":\"AUDIO\",\"tokenCount\":4}]},"
                  + "\"modelVersion\":\"gemini-2.0-flash-001\",\"responseId\":\"r"
                  + i
                  + "\"}")
              .getBytes(StandardCharsets.UTF_8);
      responses.read(readout, chunk, 0, chunk.length);
      assertThat(readout.complete()).isEqualTo(i == words.length - 1);
    }
    // the first chunk is read whole (usage unknown); the last, which adds a finish reason to the
    // candidate, is read against the template too
    assertThat(responses.templateReads()).isEqualTo(words.length - 1);
    assertThat(readout.usage()).isEqualTo(new Usage(14, 6, 20, 0, 0, 0, 4, 0, 0));
    assertThat(readout.model()).isEqualTo("gemini-2.0-flash-001");
    // the first chunk reports usage, which settles the call: its text is not needed
    assertThat(readout.text().toString()).isEmpty();
  }

  @Test
  void valuesInsideObjectsAndArraysTheWalkSkipsMayChangeFromChunkToChunk() {
    GeminiResponses responses = new GeminiResponses();
    ResponseReadout bytes = new ResponseReadout();
    ResponseReadout parsed = new ResponseReadout();
    for (int i = 0; i < 6; i++) {
      byte[] chunk =
          ("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"w"
                  + i
                  + "\"}]},\"safetyRatings\":[{\"category\":\"HARM_CATEGORY_HARASSMENT\","
                  + "\"probability\":\""
                  + (i % 2 == 0 ? "NEGLIGIBLE" : "LOW")
                  + "\"}],\"citationMetadata\":{\"citationSources\":[{\"startIndex\":"
                  + (i * 7)
                  + ",\"endIndex\":"
                  + (i * 70)
                  + "}]}}],\"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":"
                  + (i + 1)
                  + ",\"extra\":{\"n\":"
                  + i
                  + "}},\"modelVersion\":\"gemini-2.5-flash\"}")
              .getBytes(StandardCharsets.UTF_8);
      responses.read(bytes, chunk, 0, chunk.length);
      GeminiFormat.readResponse(parsed, chunk, 0, chunk.length);
      assertThat(bytes.usage()).isEqualTo(parsed.usage()).isEqualTo(Usage.of(9, i + 1));
      assertThat(bytes.model()).isEqualTo(parsed.model());
      assertThat(bytes.text().toString()).isEqualTo(parsed.text().toString());
    }
    // the first is walked and kept; the others differ inside the skipped values only
    assertThat(responses.templateReads()).isEqualTo(5);
  }

  @Test
  void aStreamThatChangesShapeIsReadAgainstItsNewShapeAfterTwoMisses() {
    GeminiResponses responses = new GeminiResponses();
    ResponseReadout readout = new ResponseReadout();
    for (int i = 0; i < 7; i++) {
      // chunks 0-2 of one shape, 3-6 of another (a member more in the candidate)
      byte[] chunk =
          ("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"w"
                  + i
                  + "\"}],\"role\":\"model\"}"
                  + (i >= 3 ? ",\"avgLogprobs\":-0.5" : "")
                  + ",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":14,"
                  + "\"candidatesTokenCount\":"
                  + (i + 1)
                  + ",\"totalTokenCount\":"
                  + (15 + i)
                  + "},\"modelVersion\":\"gemini-2.0-flash-001\"}")
              .getBytes(StandardCharsets.UTF_8);
      responses.read(readout, chunk, 0, chunk.length);
    }
    // 1 and 2 against chunk 0; 3 misses (the parser reads it), 4 misses again and is kept; 5, 6
    assertThat(responses.templateReads()).isEqualTo(4);
    assertThat(readout.usage()).isEqualTo(new Usage(14, 7, 21, 0, 0));
  }

  @Test
  void aStreamsUsageIsMadeBeforeItsEndIsReportedInBothFramings() throws java.io.IOException {
    StringBuilder events = new StringBuilder();
    StringBuilder array = new StringBuilder("[");
    for (int i = 0; i < 6; i++) {
      String chunk =
          "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"w"
              + i
              + "\"}]}"
              + (i == 5 ? ",\"finishReason\":\"STOP\"" : "")
              + "}],\"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":"
              + (i + 1)
              + "},\"modelVersion\":\"gemini-2.0-flash\"}";
      events.append("data: ").append(chunk).append("\r\n\r\n");
      array.append(i == 0 ? "" : ",").append(chunk);
    }
    for (boolean sse : new boolean[] {true, false}) {
      byte[] body = (sse ? events : array.append(']')).toString().getBytes(StandardCharsets.UTF_8);
      java.util.concurrent.atomic.AtomicReference<Usage> ended =
          new java.util.concurrent.atomic.AtomicReference<>();
      BodyListener listener =
          new BodyListener() {
            @Override
            public void firstBytes() {}

            @Override
            public void bodyEnded(
                dev.aigateway.api.CallOutcome outcome, ResponseReadout readout, Throwable failure) {
              assertThat(outcome).isEqualTo(dev.aigateway.api.CallOutcome.SUCCESS);
              ended.set(readout.usage());
            }
          };
      GeminiFormat format =
          GeminiFormat.of(sse ? GeminiFormat.Framing.EVENTS : GeminiFormat.Framing.ARRAY);
      java.io.InputStream upstream = new java.io.ByteArrayInputStream(body);
      try (ObservedBody observed =
          sse
              ? format.observeStream(upstream, listener, () -> false, false)
              : format.observeDocument(upstream, listener, () -> false, 1 << 20)) {
        observed.readAllBytes();
      }
      assertThat(ended.get()).as(sse ? "events" : "array").isEqualTo(Usage.of(9, 6));
    }
  }

  @Test
  void aResponseLongerThanTheByteReadersLimitIsReadByTheParserInEveryFraming() {
    // a name beyond the parser's limit (50,000 characters): the parser learns nothing from the
    // response, and neither may the byte readers; a long text, which the parser reads, is learnt
    String longName = "x".repeat(60_000);
    String longText = "y".repeat(40_000);
    String[] responses = {
      "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}],"
          + "\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":1},"
          + "\"modelVersion\":\"gemini-2.0-flash\"}",
      "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"b\"}]}}],\""
          + longName
          + "\":1,\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":9},"
          + "\"modelVersion\":\"gemini-2.0-flash\"}",
      "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\""
          + longText
          + "\"}]}}],\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":5},"
          + "\"modelVersion\":\"gemini-2.0-flash\"}"
    };
    GeminiResponses events = new GeminiResponses();
    ResponseReadout bytes = new ResponseReadout();
    ResponseReadout parsed = new ResponseReadout();
    for (String response : responses) {
      byte[] data = response.getBytes(StandardCharsets.UTF_8);
      events.read(bytes, data, 0, data.length);
      GeminiFormat.readResponse(parsed, data, 0, data.length);
      assertThat(bytes.usage()).as(response.substring(0, 80)).isEqualTo(parsed.usage());
      if (response.contains(longName)) {
        assertThat(parsed.usage()).as("the parser refuses the name").isEqualTo(Usage.of(3, 1));
      }
    }
    assertThat(bytes.usage()).isEqualTo(Usage.of(3, 5));

    // the array stream: elements longer than the limit are read by the parser too
    GeminiResponses array = new GeminiResponses();
    ResponseReadout elements = new ResponseReadout();
    ResponseReadout elementsParsed = new ResponseReadout();
    for (String response : responses) {
      byte[] data = (response + ",").getBytes(StandardCharsets.UTF_8);
      int end = array.readElement(elements, data, 0, data.length);
      if (end < 0) {
        array.read(elements, data, 0, data.length - 1);
      }
      assertThat(end < 0).isEqualTo(data.length > StrictJson.MAX_LENGTH);
      GeminiFormat.readResponse(elementsParsed, data, 0, data.length - 1);
      assertThat(elements.usage()).isEqualTo(elementsParsed.usage());
    }

    // the one document
    for (String response : responses) {
      byte[] data = response.getBytes(StandardCharsets.UTF_8);
      ResponseReadout document = new ResponseReadout();
      ResponseReadout documentParsed = new ResponseReadout();
      new GeminiResponses().readDocument(document, data, 0, data.length);
      GeminiFormat.readDocument(documentParsed, data, 0, data.length);
      assertThat(document.usage()).isEqualTo(documentParsed.usage());
      ResponseReadout at = new ResponseReadout();
      int end = new GeminiResponses().readDocumentAt(at, data, 0, data.length);
      assertThat(end < 0).isEqualTo(data.length > StrictJson.MAX_LENGTH);
      if (end >= 0) {
        assertThat(at.usage()).isEqualTo(documentParsed.usage());
      }
    }
  }

  @Test
  void namesLikeTheOnesReadAreReadAsTheParserReadsThem() {
    // Every name the walk reads or passes by name, replaced in turn by one like it (cut, another
    // last or middle letter, longer, escaped, another case, a prefix of another), or written twice;
    // and every response cut at
    // every offset (so that a name runs into the end of the bytes).
    String base =
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}],\"role\":\"model\"},"
            + "\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":14,"
            + "\"candidatesTokenCount\":2,\"totalTokenCount\":16,\"promptTokensDetails\":"
            + "[{\"modality\":\"AUDIO\",\"tokenCount\":14}],\"cachedContentTokenCount\":3,"
            + "\"thoughtsTokenCount\":4,\"toolUsePromptTokenCount\":5,"
            + "\"candidatesTokensDetails\":[{\"modality\":\"AUDIO\",\"tokenCount\":2}]},"
            + "\"promptFeedback\":{\"blockReason\":\"SAFETY\"},"
            + "\"modelVersion\":\"gemini-2.0-flash-001\",\"responseId\":\"r1\"}";
    String[] names = {
      "candidates",
      "content",
      "parts",
      "text",
      "role",
      "finishReason",
      "index",
      "usageMetadata",
      "promptTokenCount",
      "candidatesTokenCount",
      "totalTokenCount",
      "promptTokensDetails",
      "modality",
      "tokenCount",
      "cachedContentTokenCount",
      "thoughtsTokenCount",
      "toolUsePromptTokenCount",
      "candidatesTokensDetails",
      "promptFeedback",
      "blockReason",
      "modelVersion",
      "responseId"
    };
    List<String> responses = new ArrayList<>();
    responses.add(base);
    for (String name : names) {
      String quoted = "\"" + name + "\"";
      String[] likeIt = {
        name.substring(0, name.length() - 1),
        name.substring(0, name.length() - 1) + (name.endsWith("x") ? "y" : "x"),
        name.substring(0, name.length() / 2) + "_" + name.substring(name.length() / 2 + 1),
        name + "s",
        name + " ",
        "\\u00" + Integer.toHexString(name.charAt(0)) + name.substring(1),
        Character.toUpperCase(name.charAt(0)) + name.substring(1),
        name.substring(0, 1)
      };
      for (String other : likeIt) {
        responses.add(
            base.replaceFirst(java.util.regex.Pattern.quote(quoted), "\"" + other + "\""));
      }
      int at = base.indexOf(quoted);
      int valueEnd = base.indexOf(base.charAt(base.indexOf(':', at) + 1) == '[' ? ']' : ',', at);
      if (valueEnd > 0) {
        String member = base.substring(at, valueEnd + (base.charAt(valueEnd) == ']' ? 1 : 0));
        responses.add(base.substring(0, at) + member + "," + base.substring(at)); // twice
      }
    }
    for (String response : responses) {
      byte[] whole = response.getBytes(StandardCharsets.UTF_8);
      for (int to = response.equals(base) ? 0 : whole.length; to <= whole.length; to++) {
        String what = response.substring(0, to);
        // the bytes cut at to, or ending there as the array does
        byte[] data = to % 2 == 0 ? whole : java.util.Arrays.copyOf(whole, to);
        ResponseReadout document = new ResponseReadout();
        ResponseReadout documentParsed = new ResponseReadout();
        new GeminiResponses().readDocument(document, data, 0, to);
        GeminiFormat.readDocument(documentParsed, data, 0, to);
        ByteReadersTest.assertSame(what, document, documentParsed);
        ResponseReadout event = new ResponseReadout();
        ResponseReadout eventParsed = new ResponseReadout();
        new GeminiResponses().read(event, data, 0, to);
        GeminiFormat.readResponse(eventParsed, data, 0, to);
        ByteReadersTest.assertSame(what, event, eventParsed);
      }
    }
  }

  /** The shape of one stream's responses, and the odd things that happen to some of them. */
  record Shape(boolean details, String modality, boolean spaces, boolean feedback, int oddness) {

    static Shape random(Random random) {
      String[] modalities = {"TEXT", "AUDIO", "IMAGE", "\\u0041UDIO"};
      return new Shape(
          random.nextBoolean(),
          modalities[random.nextInt(modalities.length)],
          random.nextInt(4) == 0,
          random.nextInt(10) == 0,
          random.nextInt(4));
    }

    String response(Random random, int event, boolean last) {
      String sep = spaces ? ", " : ",";
      String colon = spaces ? ": " : ":";
      StringBuilder r = new StringBuilder("{");
      boolean finish = last || odd(random);
      // where the finish reason goes: after the content, as Google writes it, or first, or last
      int place = odd(random) ? random.nextInt(3) : 1;
      String finishReason =
          "\"finishReason\""
              + colon
              + (odd(random) ? "null" : odd(random) ? "\"MAX_TOKENS\"" : "\"STOP\"");
      r.append("\"candidates\"").append(colon).append("[{");
      if (finish && place == 0) {
        r.append(finishReason).append(sep);
      }
      r.append("\"content\"").append(colon);
      r.append("{\"parts\"").append(colon).append("[{\"text\"").append(colon);
      r.append('"').append(TEXTS[random.nextInt(TEXTS.length)]).append("\"}]");
      r.append(sep).append("\"role\"").append(colon).append("\"model\"}");
      if (finish && place == 1) {
        r.append(sep).append(finishReason);
      }
      r.append(sep).append("\"index\"").append(colon).append(odd(random) ? "1" : "0");
      if (finish && place == 2) {
        r.append(sep).append(finishReason);
      }
      if (odd(random) && random.nextInt(3) == 0) {
        r.append(sep).append(finishReason); // twice, or where the template had none
      }
      r.append("}]");
      if (feedback) {
        r.append(sep).append("\"promptFeedback\"").append(colon).append("{\"blockReason\"");
        r.append(colon).append(odd(random) ? "\"SAFETY\"" : "null").append('}');
      }
      if (!odd(random) || random.nextBoolean()) {
        r.append(sep).append("\"usageMetadata\"").append(colon).append('{');
        r.append("\"promptTokenCount\"").append(colon).append(count(random, "14"));
        r.append(sep).append("\"candidatesTokenCount\"").append(colon);
        r.append(count(random, Integer.toString(event + 1)));
        if (odd(random)) {
          r.append(sep).append("\"thoughtsTokenCount\"").append(colon).append(count(random, "3"));
        }
        r.append(sep).append("\"totalTokenCount\"").append(colon);
        r.append(count(random, Integer.toString(event + 15)));
        if (details) {
          r.append(sep).append("\"promptTokensDetails\"").append(colon).append("[{\"modality\"");
          r.append(colon).append('"').append(odd(random) ? "IMAGE" : modality).append('"');
          r.append(sep).append("\"tokenCount\"").append(colon).append(count(random, "14"));
          r.append("}]");
          if (odd(random)) {
            r.append(sep).append("\"candidatesTokensDetails\"").append(colon);
            r.append("[{\"modality\"").append(colon).append("\"AUDIO\"").append(sep);
            r.append("\"tokenCount\"").append(colon).append(count(random, "2")).append("}, 7]");
          }
        }
        if (odd(random)) {
          r.append(sep).append("\"promptTokenCount\"").append(colon).append("5");
        }
        r.append('}');
      }
      r.append(sep).append("\"modelVersion\"").append(colon).append('"');
      r.append(
          odd(random) ? "gemini-2.5-pro" : odd(random) ? "gemini-\\u0032" : "gemini-2.0-flash");
      r.append('"').append(sep).append("\"responseId\"").append(colon);
      r.append(odd(random) ? "12" : "\"id" + event + "\"").append('}');
      if (odd(random) && random.nextInt(4) == 0) {
        return r.substring(0, random.nextInt(r.length())); // a cut response
      }
      return odd(random) && random.nextInt(4) == 0 ? r + " trailing" : r.toString();
    }

    private boolean odd(Random random) {
      return oddness > 0 && random.nextInt(12 / oddness + 2) == 0;
    }

    private String count(Random random, String plain) {
      return odd(random) ? COUNTS[random.nextInt(COUNTS.length)] : plain;
    }
  }
}
