package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Usage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Claude on Bedrock's stream with a message CRC that does not match: a message the gateway relies
 * on (for a count, the model, the stream's end, or one it does not read as a content block's text)
 * is refused exactly as when every CRC is checked before its message is read, and the reading
 * stops; a content block's delta, whose text serves only the estimate, is read without its CRC
 * checked, and the reading goes on. Every CRC is checked first when the body is kept for the cache
 * or its text for the prompt log.
 */
@Tag("compute-bound")
class BedrockClaudeCrcTest {

  /** What a body reported, and whether its decoder stopped on a bad frame. */
  record Read(
      CallOutcome outcome,
      Usage usage,
      String model,
      String text,
      boolean complete,
      boolean corrupt,
      byte[] passed) {}

  private enum Checks {
    /** The reader checks the CRCs it relies on. */
    LEFT_TO_READER,
    /** Every CRC checked before its message is read: the body is kept for the cache. */
    CAPTURED,
    /** Every CRC checked before its message is read: the text is kept for the prompt log. */
    TEXT_KEPT
  }

  private static Read read(byte[] stream, int readSize, Checks checks) throws IOException {
    return read(BedrockAnthropicFormat.INVOKE_STREAM, stream, readSize, checks);
  }

  private static Read read(WireFormat format, byte[] stream, int readSize, Checks checks)
      throws IOException {
    RecordingBodyListener listener = new RecordingBodyListener();
    EventStreamBody body =
        (EventStreamBody)
            format.observeStream(
                BedrockFormatsTest.inReadsOf(readSize, stream), listener, () -> false, false);
    if (checks == Checks.CAPTURED) {
      body.capture(1 << 20);
    } else if (checks == Checks.TEXT_KEPT) {
      body.keepText();
    }
    byte[] passed;
    try (InputStream in = body) {
      passed = in.readAllBytes();
    }
    RecordingBodyListener.End end = listener.onlyEnd();
    ResponseReadout facts = end.facts();
    return new Read(
        end.outcome(),
        facts.usage(),
        facts.model(),
        facts.text().toString(),
        facts.complete(),
        body.corrupt(),
        passed);
  }

  /** Where each message of {@code stream} starts, and its end last. */
  private static List<Integer> messageStarts(byte[] stream) {
    List<Integer> starts = new ArrayList<>();
    int at = 0;
    while (at < stream.length) {
      starts.add(at);
      at += EventStreamMessage.getInt(stream, at);
    }
    starts.add(at);
    return starts;
  }

  /**
   * Whether the gateway learns nothing but text from {@code event} (a content block's delta, start
   * or stop), so that its CRC is not checked.
   */
  private static boolean textOnly(String event) {
    return event.startsWith("{\"type\":\"content_block_");
  }

  /** One byte of a clean stream changed: where, in which message, and the two readings of it. */
  private record Flip(int at, int message, Read lazy, Read eager) {
    /** Whether the reader, left to check the CRCs it relies on, read what the eager one did. */
    boolean same() {
      return Objects.equals(lazy.outcome(), eager.outcome())
          && Objects.equals(lazy.usage(), eager.usage())
          && Objects.equals(lazy.model(), eager.model())
          && lazy.text().equals(eager.text())
          && lazy.complete() == eager.complete()
          && lazy.corrupt() == eager.corrupt();
    }
  }

  /**
   * {@code clean} read by {@code format} in pieces of {@code readSize} with one bit of one byte
   * changed, every {@code step}-th byte in turn from a random start: each change read as the reader
   * checks CRCs and as {@code eager} does (every CRC first). The bytes passed on are the changed
   * stream's, whatever was read.
   */
  private static List<Flip> flips(
      WireFormat format, byte[] clean, int readSize, int step, Checks eager, Random random)
      throws IOException {
    List<Integer> starts = messageStarts(clean);
    List<Flip> flips = new ArrayList<>();
    for (int at = random.nextInt(step); at < clean.length; at += step) {
      byte[] stream = clean.clone();
      stream[at] ^= (byte) (1 << random.nextInt(8));
      int message = 0;
      while (starts.get(message + 1) <= at) {
        message++;
      }
      Read lazy = read(format, stream, readSize, Checks.LEFT_TO_READER);
      assertThat(lazy.passed()).isEqualTo(stream);
      flips.add(
          new Flip(at - starts.get(message), message, lazy, read(format, stream, readSize, eager)));
    }
    return flips;
  }

  @Test
  void aUsageBearingMessageWithABadCrcIsRefusedAsWhenEveryCrcIsChecked() throws IOException {
    String[] events = AnthropicProviderPathsTest.EVENTS;
    for (int k : new int[] {0, 5}) { // message_start, message_delta
      byte[] stream = AnthropicProviderPathsTest.bedrockStream();
      List<Integer> starts = messageStarts(stream);
      stream[starts.get(k + 1) - 10] ^= 0x01; // in the last characters of its base64
      Read lazy = read(stream, 4096, Checks.LEFT_TO_READER);
      Read eager = read(stream, 4096, Checks.CAPTURED);

      assertThat(lazy.corrupt()).as(events[k]).isTrue();
      assertThat(lazy).usingRecursiveComparison().isEqualTo(eager);
      assertThat(lazy.outcome()).isEqualTo(CallOutcome.TRUNCATED);
      assertThat(lazy.usage()).isNull();
    }
  }

  @Test
  void aDeltaWithABadCrcIsReadForItsTextAndTheStreamGoesOn() throws IOException {
    byte[] clean = AnthropicProviderPathsTest.bedrockStream();
    List<Integer> starts = messageStarts(clean);
    byte[] stream = clean.clone();
    stream[starts.get(4) - 1] ^= 0x01; // the second delta's message CRC itself
    Read crcOnly = read(stream, 4096, Checks.LEFT_TO_READER);

    assertThat(crcOnly.corrupt()).isFalse();
    assertThat(crcOnly)
        .usingRecursiveComparison()
        .ignoringFields("passed")
        .isEqualTo(read(clean, 4096, Checks.LEFT_TO_READER));
    Read eager = read(stream, 4096, Checks.CAPTURED);
    assertThat(eager.corrupt()).isTrue();
    assertThat(eager.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(eager.usage()).isNull();
    assertThat(eager.text()).isEqualTo("Hello!");
    assertThat(read(stream, 4096, Checks.TEXT_KEPT)).usingRecursiveComparison().isEqualTo(eager);

    // the second delta's payload changed into another delta's of the same length, its CRC kept
    byte[] other =
        BedrockFormatsTest.chunk(
            AnthropicProviderPathsTest.EVENTS[3].replace("How can I help?", "How can I kelp?"));
    assertThat(other).hasSize(starts.get(4) - starts.get(3));
    stream = clean.clone();
    System.arraycopy(other, 12, stream, starts.get(3) + 12, other.length - 16);
    Read lazy = read(stream, 4096, Checks.LEFT_TO_READER);

    assertThat(lazy.corrupt()).isFalse();
    assertThat(lazy.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(lazy.usage()).isEqualTo(AnthropicProviderPathsTest.EXPECTED);
    assertThat(lazy.model()).isEqualTo("claude-3-5-haiku-20241022");
    assertThat(lazy.text()).isEqualTo("Hello! How can I kelp?");
    assertThat(read(stream, 4096, Checks.CAPTURED))
        .usingRecursiveComparison()
        .ignoringFields("passed")
        .isEqualTo(eager);
  }

  /** A random Claude stream's events: counts near Long.MAX_VALUE, texts with escapes. */
  private static List<String> randomEvents(Random random) {
    List<String> events = new ArrayList<>();
    events.add(
        "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_"
            + Long.toHexString(random.nextLong())
            + "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\""
            + (random.nextInt(8) == 0 ? "claude\\u002d3" : "claude-3-" + random.nextInt(100))
            + "\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{"
            + "\"input_tokens\":"
            + count(random)
            + ",\"cache_creation_input_tokens\":"
            + count(random)
            + ",\"cache_read_input_tokens\":"
            + count(random)
            + ",\"output_tokens\":1}}}");
    events.add(
        "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
            + "\"text\":\"\"}}");
    int deltas = 1 + random.nextInt(6);
    for (int i = 0; i < deltas; i++) {
      events.add(
          "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
              + "\"text\":\""
              + text(random)
              + "\"}}");
    }
    events.add("{\"type\":\"content_block_stop\",\"index\":0}");
    events.add(
        "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
            + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":"
            + count(random)
            + "}}");
    events.add(
        "{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":"
            + count(random)
            + ",\"outputTokenCount\":"
            + count(random)
            + ",\"invocationLatency\":611,\"firstByteLatency\":287}}");
    return events;
  }

  private static String count(Random random) {
    return switch (random.nextInt(4)) {
      case 0 -> Long.toString(Long.MAX_VALUE - random.nextInt(3));
      case 1 -> "9223372036854775808";
      default -> Integer.toString(random.nextInt(5_000));
    };
  }

  private static String text(Random random) {
    String[] pieces = {"a", " word", "\\n", "\\\"", "\\u00e9", "é", "日本", "\\\\", "x"};
    StringBuilder text = new StringBuilder();
    int n = random.nextInt(12);
    for (int i = 0; i < n; i++) {
      text.append(pieces[random.nextInt(pieces.length)]);
    }
    return text.toString();
  }

  /**
   * Random streams (counts near and beyond {@code Long.MAX_VALUE}, texts with escapes and
   * multi-byte characters, deltas of any length, so base64 padded or not), read in pieces of a
   * random size, each byte of some changed in turn: a stream whose changed byte lies in a message
   * the gateway relies on reads exactly as when every CRC is checked first; one whose change lies
   * in a content block's delta, start or stop does too, or else reads the clean stream's counts,
   * model and end (its text may differ), the reading going on. Counts are never read from a message
   * whose CRC was not checked.
   */
  @Test
  void aByteChangedAnywhereReadsAsWhenEveryCrcIsCheckedOutsideTextOnlyMessages()
      throws IOException {
    Random random = new Random(15_04);
    int readUnchecked = 0;
    int refusedAsBefore = 0;
    for (int s = 0; s < 60; s++) {
      List<String> events = randomEvents(random);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (String event : events) {
        out.writeBytes(BedrockFormatsTest.chunk(event));
      }
      byte[] clean = out.toByteArray();
      int readSize = 1 + random.nextInt(clean.length);
      Read cleanRead = read(clean, readSize, Checks.LEFT_TO_READER);
      assertThat(cleanRead)
          .usingRecursiveComparison()
          .isEqualTo(read(clean, readSize, Checks.CAPTURED));
      int step = s < 6 ? 1 : 1 + random.nextInt(13);
      for (Flip flip :
          flips(
              BedrockAnthropicFormat.INVOKE_STREAM,
              clean,
              readSize,
              step,
              Checks.CAPTURED,
              random)) {
        Read lazy = flip.lazy();
        String where = "stream " + s + ", byte " + flip.at() + " of message " + flip.message();
        if (!textOnly(events.get(flip.message())) || flip.at() < 12) {
          // a message the gateway relies on, or a prelude (checked before anything else)
          assertThat(flip.same()).as(where).isTrue();
          continue;
        }
        if (flip.same()) {
          refusedAsBefore++;
          continue;
        }
        readUnchecked++;
        assertThat(lazy.corrupt()).as(where).isFalse();
        assertThat(lazy.usage()).as(where).isEqualTo(cleanRead.usage());
        assertThat(lazy.model()).as(where).isEqualTo(cleanRead.model());
        assertThat(lazy.outcome()).as(where).isEqualTo(cleanRead.outcome());
        assertThat(lazy.complete()).as(where).isEqualTo(cleanRead.complete());
      }
    }
    assertThat(readUnchecked).as("text-only messages read without their CRC").isGreaterThan(500);
    assertThat(refusedAsBefore).as("text-only messages refused as before").isGreaterThan(100);
  }

  /** A random ConverseStream: counts near Long.MAX_VALUE, texts with escapes, a tool use. */
  private static List<EventStreamMessage> randomConverse(Random random) {
    List<EventStreamMessage> events = new ArrayList<>();
    events.add(event("messageStart", "{\"p\":\"abcd\",\"role\":\"assistant\"}"));
    if (random.nextBoolean()) {
      events.add(
          event(
              "contentBlockStart",
              "{\"contentBlockIndex\":0,\"start\":{\"toolUse\":{\"toolUseId\":\"t1\","
                  + "\"name\":\"get_"
                  + text(random).replace("\\", "")
                  + "\"}}}"));
    }
    int deltas = 1 + random.nextInt(6);
    for (int i = 0; i < deltas; i++) {
      events.add(
          event(
              "contentBlockDelta",
              "{\"contentBlockIndex\":0,\"delta\":{\"text\":\""
                  + text(random)
                  + "\"},\"p\":\"abcdef\"}"));
    }
    events.add(event("contentBlockStop", "{\"contentBlockIndex\":0}"));
    events.add(event("messageStop", "{\"stopReason\":\"end_turn\"}"));
    // now and then twice, so that a usage-bearing event also comes with the headers repeated
    for (int n = random.nextInt(3) == 0 ? 2 : 1; n > 0; n--) {
      events.add(
          event(
              "metadata",
              "{\"metrics\":{\"latencyMs\":380},\"usage\":{\"inputTokens\":"
                  + count(random)
                  + ",\"outputTokens\":"
                  + count(random)
                  + ",\"totalTokens\":25}}"));
    }
    return events;
  }

  private static EventStreamMessage event(String type, String json) {
    return EventStreamMessage.event(type, json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /**
   * ConverseStream read as Claude on Bedrock is: random streams, each byte of some changed in turn;
   * a change in a message other than a content block's delta or start (whose text serves only the
   * estimate) reads exactly as with every CRC checked first; one in a delta or a block's start does
   * too, or reads the clean stream's counts, outcome and end.
   */
  @Test
  void converseStreamReadsAsWhenEveryCrcIsCheckedOutsideItsDeltas() throws IOException {
    WireFormat format = BedrockConverseFormat.CONVERSE_STREAM;
    Random random = new Random(15_05);
    int readUnchecked = 0;
    for (int s = 0; s < 40; s++) {
      List<EventStreamMessage> events = randomConverse(random);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (EventStreamMessage event : events) {
        out.writeBytes(event.encode());
      }
      byte[] clean = out.toByteArray();
      int readSize = 1 + random.nextInt(clean.length);
      Read cleanRead = read(format, clean, readSize, Checks.LEFT_TO_READER);
      assertThat(cleanRead)
          .usingRecursiveComparison()
          .isEqualTo(read(format, clean, readSize, Checks.CAPTURED));
      int step = s < 4 ? 1 : 1 + random.nextInt(13);
      for (Flip flip : flips(format, clean, readSize, step, Checks.TEXT_KEPT, random)) {
        Read lazy = flip.lazy();
        String type = events.get(flip.message()).eventType();
        String where = "stream " + s + ", byte " + flip.at() + " of " + type;
        if (!type.startsWith("contentBlockDelta") && !type.startsWith("contentBlockStart")
            || flip.at() < 12) {
          assertThat(flip.same()).as(where).isTrue();
          continue;
        }
        if (!flip.same()) {
          readUnchecked++;
          assertThat(lazy.corrupt()).as(where).isFalse();
          assertThat(lazy.usage()).as(where).isEqualTo(cleanRead.usage());
          assertThat(lazy.outcome()).as(where).isEqualTo(cleanRead.outcome());
          assertThat(lazy.complete()).as(where).isEqualTo(cleanRead.complete());
        }
      }
    }
    assertThat(readUnchecked).as("deltas read without their CRC").isGreaterThan(300);
  }
}
