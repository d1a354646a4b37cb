package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The AWS event stream framing: encoding, incremental decoding, CRC and size checks. */
class EventStreamDecoderTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  @Test
  void aMessageWithoutHeadersOrPayloadIsSixteenBytesWithTheDocumentedCrcs() {
    // The smallest frame: total 16, headers 0, CRC32 of those 8 bytes, CRC32 of the 12 before it.
    byte[] empty = new EventStreamMessage(Map.of(), new byte[0]).encode();

    assertThat(HexFormat.of().formatHex(empty)).isEqualTo("000000100000000005c248eb7d98c8ff");
  }

  @Test
  void everyHeaderTypeSurvivesARoundTrip() {
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put("true", true);
    headers.put("false", false);
    headers.put("byte", (byte) -7);
    headers.put("short", (short) -300);
    headers.put("int", -70_000);
    headers.put("long", -5_000_000_000L);
    headers.put("bytes", new byte[] {1, 2, 3});
    headers.put(":event-type", "contentBlockDelta");
    headers.put("time", Instant.ofEpochMilli(1_700_000_000_123L));
    headers.put("uuid", UUID.fromString("123e4567-e89b-12d3-a456-426614174000"));
    byte[] frame = new EventStreamMessage(headers, utf8("{\"a\":1}")).encode();

    List<EventStreamMessage> read = new ArrayList<>();
    new EventStreamDecoder(read::add).feed(frame, 0, frame.length);

    assertThat(read).hasSize(1);
    Map<String, Object> back = read.get(0).headers();
    assertThat(back.keySet()).containsExactlyElementsOf(headers.keySet());
    assertThat(back.get("true")).isEqualTo(true);
    assertThat(back.get("false")).isEqualTo(false);
    assertThat(back.get("byte")).isEqualTo((byte) -7);
    assertThat(back.get("short")).isEqualTo((short) -300);
    assertThat(back.get("int")).isEqualTo(-70_000);
    assertThat(back.get("long")).isEqualTo(-5_000_000_000L);
    assertThat((byte[]) back.get("bytes")).containsExactly(1, 2, 3);
    assertThat(read.get(0).eventType()).isEqualTo("contentBlockDelta");
    assertThat(back.get("time")).isEqualTo(Instant.ofEpochMilli(1_700_000_000_123L));
    assertThat(back.get("uuid")).isEqualTo(headers.get("uuid"));
    assertThat(new String(read.get(0).payload(), StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}");
  }

  @Test
  void messagesSplitAtEveryByteBoundaryAreReadTheSame() {
    byte[] stream =
        concat(
            EventStreamMessage.event("messageStart", utf8("{\"role\":\"assistant\"}")).encode(),
            EventStreamMessage.event("contentBlockDelta", utf8("{\"delta\":{\"text\":\"Hi\"}}"))
                .encode(),
            EventStreamMessage.event("metadata", utf8("{\"usage\":{\"inputTokens\":3}}")).encode());
    Random random = new Random(7);
    for (int trial = 0; trial < 300; trial++) {
      List<String> types = new ArrayList<>();
      EventStreamDecoder decoder = new EventStreamDecoder(m -> types.add(m.eventType()));
      int at = 0;
      while (at < stream.length) {
        int n = Math.min(stream.length - at, trial < 100 ? 1 + trial % 7 : 1 + random.nextInt(40));
        decoder.feed(stream, at, n);
        at += n;
      }
      assertThat(types).containsExactly("messageStart", "contentBlockDelta", "metadata");
      assertThat(decoder.corrupt()).isFalse();
      assertThat(decoder.midMessage()).isFalse();
    }
  }

  @Test
  void aPayloadByteFlippedFailsTheMessageCrcAndStopsTheReading() {
    byte[] first = EventStreamMessage.event("a", utf8("{\"x\":1}")).encode();
    byte[] second = EventStreamMessage.event("b", utf8("{\"x\":2}")).encode();
    second[second.length - 6] ^= 0x01; // inside the payload
    byte[] third = EventStreamMessage.event("c", utf8("{\"x\":3}")).encode();
    byte[] stream = concat(first, second, third);

    List<String> types = new ArrayList<>();
    EventStreamDecoder decoder = new EventStreamDecoder(m -> types.add(m.eventType()));
    decoder.feed(stream, 0, stream.length);

    assertThat(types).containsExactly("a");
    assertThat(decoder.corrupt()).isTrue();
    assertThat(decoder.corruption()).contains("message CRC of message 2");
  }

  @Test
  void aCrcLeftToTheReaderIsLeftOnlyWhenTheHeadersRepeatAndFailsAsBeforeWhenChecked() {
    byte[] first = EventStreamMessage.event("a", utf8("{\"x\":1}")).encode();
    byte[] second = EventStreamMessage.event("a", utf8("{\"x\":2}")).encode();
    byte[] third = EventStreamMessage.event("b", utf8("{\"x\":3}")).encode();
    byte[] fourth = EventStreamMessage.event("b", utf8("{\"x\":4}")).encode();
    second[second.length - 6] ^= 0x01; // inside the payloads
    fourth[fourth.length - 6] ^= 0x01;
    byte[] stream = concat(first, second, third, fourth);
    for (boolean check : new boolean[] {false, true}) {
      for (int size = 1; size <= stream.length; size++) {
        List<String> read = new ArrayList<>();
        EventStreamDecoder[] decoder = new EventStreamDecoder[1];
        decoder[0] =
            EventStreamDecoder.ofFrames(
                frame -> {
                  read.add(frame.eventType() + (frame.unchecked() ? " unchecked" : ""));
                  if (check && frame.unchecked()) {
                    assertThat(frame.checked()).isFalse();
                    assertThat(frame.checked()).isFalse();
                    assertThat(decoder[0].corrupt()).isTrue();
                  }
                },
                1 << 20);
        decoder[0].leaveCrcToReader(true);
        for (int at = 0; at < stream.length; at += size) {
          decoder[0].feed(stream, at, Math.min(size, stream.length - at));
        }
        if (check) {
          // the second message, its headers those of the first, is handed on unchecked and
          // refused when checked: the reading stops there, as when it is checked first
          assertThat(read).containsExactly("a", "a unchecked");
          assertThat(decoder[0].corrupt()).isTrue();
          assertThat(decoder[0].messagesRead()).isEqualTo(1);
          assertThat(decoder[0].corruption())
              .isEqualTo("the message CRC of message 2 does not match");
        } else {
          // unchecked by the reader, it is read; the third, with other headers, is checked
          // before it is handed on, and the fourth handed on unchecked
          assertThat(read).containsExactly("a", "a unchecked", "b", "b unchecked");
          assertThat(decoder[0].corrupt()).isFalse();
          assertThat(decoder[0].messagesRead()).isEqualTo(4);
        }
      }
    }
    third[third.length - 6] ^= 0x01;
    List<String> read = new ArrayList<>();
    EventStreamDecoder decoder =
        EventStreamDecoder.ofFrames(frame -> read.add(frame.eventType()), 1 << 20);
    decoder.leaveCrcToReader(true);
    decoder.feed(concat(first, third), 0, first.length + third.length);
    assertThat(read).containsExactly("a");
    assertThat(decoder.corruption()).isEqualTo("the message CRC of message 2 does not match");
  }

  @Test
  void aLengthByteFlippedFailsThePreludeCrc() {
    byte[] frame = EventStreamMessage.event("a", utf8("{}")).encode();
    frame[3] ^= 0x10;

    EventStreamDecoder decoder = new EventStreamDecoder(m -> {});
    decoder.feed(frame, 0, frame.length);

    assertThat(decoder.corrupt()).isTrue();
    assertThat(decoder.corruption()).contains("prelude CRC");
  }

  @Test
  void aMessageAboveTheBoundIsSkippedUnreadAndTheNextOneIsRead() {
    byte[] big = EventStreamMessage.event("big", new byte[5_000]).encode();
    byte[] small = EventStreamMessage.event("small", utf8("{}")).encode();
    byte[] stream = concat(big, small);

    List<String> types = new ArrayList<>();
    EventStreamDecoder decoder = new EventStreamDecoder(m -> types.add(m.eventType()), 1_024);
    for (int at = 0; at < stream.length; at += 100) {
      decoder.feed(stream, at, Math.min(100, stream.length - at));
    }

    assertThat(types).containsExactly("small");
    assertThat(decoder.oversized()).isEqualTo(1);
    assertThat(decoder.corrupt()).isFalse();
  }

  @Test
  void aStreamCutInsideAFrameIsMidMessage() {
    byte[] frame = EventStreamMessage.event("a", utf8("{}")).encode();
    EventStreamDecoder decoder = new EventStreamDecoder(m -> {});

    decoder.feed(frame, 0, frame.length - 1);

    assertThat(decoder.messagesRead()).isZero();
    assertThat(decoder.midMessage()).isTrue();
  }

  @Test
  void aStreamIsHeldUntilItsFirstFrameIsWholeThenReadAsItCame() throws java.io.IOException {
    byte[] first = EventStreamMessage.event("a", utf8("{\"x\":1}")).encode();
    byte[] stream = concat(first, EventStreamMessage.event("b", utf8("{}")).encode());

    HeldBody held = HeldBody.holdFirstFrame(BedrockFormatsTest.inReadsOf(3, stream), 1 << 20);

    assertThat(held.outcome()).isEqualTo(HeldBody.Held.FIRST_EVENT);
    assertThat(held.readAllBytes()).isEqualTo(stream);
    HeldBody cut =
        HeldBody.holdFirstFrame(
            new java.io.ByteArrayInputStream(java.util.Arrays.copyOf(first, 9)), 1 << 20);
    assertThat(cut.outcome()).isEqualTo(HeldBody.Held.ENDED);
  }

  /**
   * The frame reader (headers named on their bytes, header strings looked up by their hash) sees
   * the message type, event type and exception type the message reader sees, payload included, on
   * random headers: the three names with string and other values, names of the same length ({@code
   * :content-type}), unknown names, and more distinct strings than the decoder keeps; fed whole and
   * split at every offset.
   */
  @Test
  void framesCarryTheStringHeadersMessagesCarryOnRandomHeaders() {
    String[] names = {
      ":message-type", ":event-type", ":exception-type", ":content-type", ":message-typf", "x"
    };
    Random random = new Random(15);
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    for (int m = 0; m < 120; m++) {
      Map<String, Object> headers = new LinkedHashMap<>();
      int count = random.nextInt(5);
      for (int h = 0; h < count; h++) {
        String name = names[random.nextInt(names.length)];
        Object value =
            switch (random.nextInt(4)) {
              case 0 -> random.nextInt(3);
              case 1 -> new byte[] {(byte) random.nextInt()};
              case 2 -> "value" + random.nextInt(60); // more strings than are kept
              default -> random.nextBoolean() ? "chunk" : "évent";
            };
        headers.put(name, value);
      }
      stream.writeBytes(new EventStreamMessage(headers, utf8("{\"n\":" + m + "}")).encode());
    }
    byte[] bytes = stream.toByteArray();
    List<String> expected = new ArrayList<>();
    new EventStreamDecoder(message -> expected.add(described(message)))
        .feed(bytes, 0, bytes.length);
    assertThat(expected).hasSize(120);
    for (int split = 0; split <= bytes.length; split += split < 400 ? 1 : 37) {
      List<String> frames = new ArrayList<>();
      EventStreamDecoder decoder =
          EventStreamDecoder.ofFrames(
              frame -> frames.add(described(frame)), EventStreamDecoder.MAX_MESSAGE_BYTES);
      decoder.feed(bytes, 0, split);
      decoder.feed(bytes, split, bytes.length - split);
      assertThat(frames).as("split at %d", split).isEqualTo(expected);
    }
  }

  /**
   * Frames read where they lie in the bytes fed (whole in one piece) and frames held across pieces
   * say what their messages say, with headers that repeat from frame to frame (compared with the
   * last frame's), change, or are too long to be kept; messages above the bound are skipped either
   * way; a frame whose CRC fails stops the reading wherever it lies.
   */
  @Test
  void headersOfTheSameLengthDifferingInOneByteAnywhereAreReadAgain() {
    // Frames whose headers are those of the frame before keep its types: headers of the same
    // length that differ in any one byte (here, one character of a type, every place of every
    // length; or one byte of a header that is not a type) must be read again.
    for (int length = 1; length < 90; length++) {
      String base = "e".repeat(length);
      List<EventStreamMessage> messages = new ArrayList<>();
      for (int at = 0; at < length; at++) {
        for (String type :
            new String[] {base, base.substring(0, at) + "f" + base.substring(at + 1)}) {
          Map<String, Object> headers = new LinkedHashMap<>();
          headers.put(":message-type", "event");
          headers.put("n", at % 2 == 0 ? (short) 1 : (short) 2);
          headers.put(":event-type", type); // last: its every byte at any place of the headers
          messages.add(new EventStreamMessage(headers, utf8("{}")));
        }
      }
      ByteArrayOutputStream stream = new ByteArrayOutputStream();
      List<String> expected = new ArrayList<>();
      for (EventStreamMessage message : messages) {
        stream.writeBytes(message.encode());
        expected.add(described(message));
      }
      byte[] bytes = stream.toByteArray();
      List<String> frames = new ArrayList<>();
      EventStreamDecoder.ofFrames(frame -> frames.add(described(frame)), 1_024)
          .feed(bytes, 0, bytes.length);
      assertThat(frames).as("length %d", length).isEqualTo(expected);
    }
  }

  @Test
  void framesReadWhereTheyLieOrHeldAcrossPiecesSayWhatTheirMessagesSay() {
    Random random = new Random(256);
    List<Map<String, Object>> headerSets = new ArrayList<>();
    headerSets.add(
        Map.of(
            ":event-type", "chunk", ":content-type", "application/json", ":message-type", "event"));
    headerSets.add(Map.of(":event-type", "chunk", ":message-type", "event"));
    headerSets.add(Map.of(":event-type", "chunk".repeat(60), ":message-type", "event"));
    headerSets.add(Map.of(":event-type", "metadata", ":message-type", "event"));
    headerSets.add(Map.of(":exception-type", "throttlingException", ":message-type", "exception"));
    headerSets.add(Map.of());
    // values taken as the decoder's constants, values of their lengths that are not, and others
    headerSets.add(Map.of(":event-type", "contentBlockDelta", ":message-type", "event"));
    headerSets.add(Map.of(":event-type", "contentBlockDeltb", ":message-type", "evenu"));
    headerSets.add(Map.of(":event-type", "messageStop", ":message-type", "error"));
    headerSets.add(Map.of(":event-type", "chunj", ":message-type", "event", ":content-type", "x"));
    for (int run = 0; run < 400; run++) {
      ByteArrayOutputStream stream = new ByteArrayOutputStream();
      List<String> expected = new ArrayList<>();
      int oversized = 0;
      int count = 1 + random.nextInt(10);
      for (int m = 0; m < count; m++) {
        Map<String, Object> headers =
            headerSets.get(random.nextInt(3) == 0 ? random.nextInt(headerSets.size()) : 0);
        byte[] payload = new byte[random.nextInt(10) == 0 ? 1_500 : random.nextInt(300)];
        random.nextBytes(payload);
        EventStreamMessage message = new EventStreamMessage(new LinkedHashMap<>(headers), payload);
        byte[] encoded = message.encode();
        stream.writeBytes(encoded);
        if (encoded.length > 1_024) {
          oversized++;
        } else {
          expected.add(described(message));
        }
      }
      boolean corrupt = random.nextInt(8) == 0;
      byte[] bytes = stream.toByteArray();
      if (corrupt) {
        bytes[random.nextInt(bytes.length)] ^= 0x20;
      }
      List<String> frames = new ArrayList<>();
      EventStreamDecoder decoder =
          EventStreamDecoder.ofFrames(frame -> frames.add(described(frame)), 1_024);
      for (int at = 0; at < bytes.length; ) {
        int piece =
            Math.min(
                bytes.length - at,
                random.nextBoolean() ? 1 + random.nextInt(2_000) : 1 + random.nextInt(20));
        decoder.feed(bytes, at, piece);
        at += piece;
      }
      if (corrupt) {
        // what came before the flipped byte's frame is read as sent, nothing after a stop
        assertThat(frames.size()).isLessThanOrEqualTo(expected.size());
        assertThat(frames).isEqualTo(expected.subList(0, frames.size()));
      } else {
        assertThat(frames).as("run %d", run).isEqualTo(expected);
        assertThat(decoder.oversized()).isEqualTo(oversized);
        assertThat(decoder.midMessage()).isFalse();
      }
    }
  }

  @Test
  void aPreludesCrcByTableIsTheCrcOfItsEightBytes() {
    Random random = new Random(32);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    for (int n = 0; n < 100_000; n++) {
      byte[] bytes = new byte[8 + random.nextInt(8)];
      random.nextBytes(bytes);
      int at = random.nextInt(bytes.length - 7);
      crc.reset();
      crc.update(bytes, at, 8);
      assertThat(EventStreamDecoder.preludeCrc(bytes, at)).isEqualTo((int) crc.getValue());
    }
  }

  @Test
  void aMessagesLengthsAndCrcsAreReadAsBigEndianInts() {
    Random random = new Random(64);
    for (int n = 0; n < 100_000; n++) {
      byte[] bytes = new byte[4 + random.nextInt(8)];
      random.nextBytes(bytes);
      int at = random.nextInt(bytes.length - 3);
      assertThat(EventStreamMessage.getInt(bytes, at))
          .isEqualTo(java.nio.ByteBuffer.wrap(bytes, at, 4).getInt());
    }
  }

  private static String described(EventStreamMessage message) {
    return message.messageType()
        + "|"
        + message.eventType()
        + "|"
        + message.exceptionType()
        + "|"
        + message.isException()
        + "|"
        + new String(message.payload(), StandardCharsets.UTF_8);
  }

  private static String described(EventStreamFrame frame) {
    return frame.messageType()
        + "|"
        + frame.eventType()
        + "|"
        + frame.exceptionType()
        + "|"
        + frame.isException()
        + "|"
        + new String(frame.payload(), StandardCharsets.UTF_8);
  }
}
