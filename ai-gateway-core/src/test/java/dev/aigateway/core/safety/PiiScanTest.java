package dev.aigateway.core.safety;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The built-in detectors' shared pass: it finds exactly what each detector found walking the text
 * on its own (the separate scanners kept as the reference), including candidates that overlap one
 * another and candidates at the text's edges, and custom detectors still run beside it.
 */
class PiiScanTest {

  private static final List<PiiDetector> BUILT_INS = PiiDetector.defaults();
  private static final List<PiiDetector> REFERENCE =
      List.of(
          SeparatePassDetectors.EMAIL,
          SeparatePassDetectors.PHONE,
          SeparatePassDetectors.CARD,
          SeparatePassDetectors.IBAN,
          SeparatePassDetectors.US_SSN);

  /** What {@code detector} finds alone, as "start-end". */
  private static List<String> alone(PiiDetector detector, String text) {
    Spans spans = new Spans();
    detector.find(text, spans);
    return ranges(spans, -1);
  }

  private static List<String> ranges(Spans spans, int tag) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < spans.size(); i++) {
      if (tag < 0 || spans.tag(i) == tag) {
        out.add(spans.start(i) + "-" + spans.end(i) + ":" + spans.kind(i));
      }
    }
    return out;
  }

  /** What the shared pass of every built-in finds, per detector (tag = its index). */
  private static List<List<String>> shared(String text) {
    List<TextRule> rules = new ArrayList<>();
    for (PiiDetector detector : BUILT_INS) {
      rules.add(TextRule.pii(detector, SafetyAction.FLAG));
    }
    Spans spans = new Spans();
    TextScan.of(rules).find(text, spans);
    List<List<String>> out = new ArrayList<>();
    for (int d = 0; d < BUILT_INS.size(); d++) {
      out.add(ranges(spans, d));
    }
    return out;
  }

  private static void agreesWithTheSeparatePasses(String text) {
    List<List<String>> shared = shared(text);
    for (int d = 0; d < BUILT_INS.size(); d++) {
      List<String> reference = alone(REFERENCE.get(d), text);
      assertThat(alone(BUILT_INS.get(d), text))
          .as("%s alone on \"%s\"", BUILT_INS.get(d).kind(), text)
          .isEqualTo(reference);
      assertThat(shared.get(d))
          .as("%s in the shared pass on \"%s\"", BUILT_INS.get(d).kind(), text)
          .isEqualTo(reference);
    }
  }

  private static final String[] PIECES = {
    "jane.doe@example.com",
    "a@b",
    "x@1.2.3",
    "//git@host.io",
    "@",
    "..@",
    "+44 20 7946 0958",
    "+1 415 555 0132",
    "(415) 555-0132",
    "415-555-0132",
    "415.555.0132",
    "+123",
    "10.0.19045.2965",
    "4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "4222222222222",
    "5500 0000 0000 0004",
    "4111111111111112",
    "DE89 3704 0044 0532 0130 00",
    "GB82WEST12345698765432",
    "DE89370400440532013000",
    "GB82 WEST 1234 5698 7654 32",
    "XX00 0000",
    "123-45-6789",
    "123 45 6789",
    "666-12-3456",
    "078-05-1120",
    "2024-01-15",
    "é",
    "Ä",
    "ß",
    " ",
    " ",
    "-",
    ".",
    "+",
    "(",
    ")",
    "@",
    "/",
    ":",
    "\n",
    "A",
    "Z",
    "a",
    "z",
    "0",
    "1",
    "2",
    "5",
    "9",
    "  ",
    "ab",
    "CD",
    "_",
  };

  @Test
  void theSharedPassFindsWhatEachDetectorFoundAloneOnRandomTexts() {
    Random random = new Random(20261204L);
    String alphabet = "0123456789 -.+()@/:ABDEGXZabcxyzé_\n";
    for (int round = 0; round < 20_000; round++) {
      StringBuilder text = new StringBuilder();
      int parts = 1 + random.nextInt(8);
      for (int p = 0; p < parts; p++) {
        if (random.nextBoolean()) {
          text.append(PIECES[random.nextInt(PIECES.length)]);
        } else {
          int run = random.nextInt(12);
          for (int k = 0; k < run; k++) {
            text.append(alphabet.charAt(random.nextInt(alphabet.length())));
          }
        }
      }
      agreesWithTheSeparatePasses(text.toString());
    }
  }

  @Test
  void overlappingCandidatesOfDifferentDetectorsAreAllFound() {
    // A 13-digit card number after a plus is also an international phone number.
    assertThat(shared("call +4222222222222 now"))
        .containsExactly(
            List.of(), List.of("5-19:PHONE"), List.of("6-19:CARD"), List.of(), List.of());
    // A phone number written as an address's local part: both are found.
    assertThat(shared("+14155550132@example.com").get(PiiScan.EMAIL)).containsExactly("0-24:EMAIL");
    assertThat(shared("+14155550132@example.com").get(PiiScan.PHONE)).containsExactly("0-12:PHONE");
    agreesWithTheSeparatePasses("call +4222222222222 now");
    agreesWithTheSeparatePasses("+14155550132@example.com");
    agreesWithTheSeparatePasses("DE89 3704 0044 0532 0130 00 4111 1111 1111 1111 123-45-6789");
  }

  @Test
  void candidatesAtTheEdgesOfTheTextAreFoundOrRefusedAsAlone() {
    for (String text :
        List.of(
            "4111 1111 1111 1111",
            "4111 1111 1111 111",
            "jane@example.com",
            "jane@example.c",
            "GB82WEST12345698765432",
            "GB82WEST1234569876543",
            "123-45-6789",
            "123-45-678",
            "+44 20 7946 0958",
            "(415) 555-0132",
            "(415) 555-013",
            "é4111 1111 1111 1111",
            "4111 1111 1111 1111é",
            "x4111 1111 1111 1111",
            "")) {
      agreesWithTheSeparatePasses(text);
    }
    assertThat(shared("4111 1111 1111 1111").get(PiiScan.CARD)).containsExactly("0-19:CARD");
    assertThat(shared("é4111 1111 1111 1111").get(PiiScan.CARD)).isEmpty();
  }

  @Test
  void customDetectorsAndDenyListsRunBesideTheSharedPass() {
    List<TextRule> rules =
        List.of(
            TextRule.pii(PiiDetector.email(), SafetyAction.REDACT),
            TextRule.pii(
                PiiDetector.custom("EMPLOYEE_ID", Pattern.compile("\\bEMP-\\d{6}\\b")),
                SafetyAction.REDACT),
            TextRule.words("secret", List.of("falcon"), SafetyAction.BLOCK),
            TextRule.pii(PiiDetector.cardNumber(), SafetyAction.FLAG));
    Spans spans = new Spans();
    TextScan.of(rules)
        .find("EMP-123456 mailed bob@example.org about falcon, 4111 1111 1111 1111", spans);
    assertThat(ranges(spans, 0)).containsExactly("18-33:EMAIL");
    assertThat(ranges(spans, 1)).containsExactly("0-10:EMPLOYEE_ID");
    assertThat(ranges(spans, 2)).containsExactly("40-46:secret");
    assertThat(ranges(spans, 3)).containsExactly("48-67:CARD");
  }

  @Test
  void countingTogetherIsTheSumOfCountingAlone() {
    String text = "Reach me at jane.doe@example.com or +44 20 7946 0958; card 4111 1111 1111 1111.";
    List<PiiDetector> all = new ArrayList<>(BUILT_INS);
    all.add(PiiDetector.custom("WORD", Pattern.compile("\\bcard\\b")));
    int alone = 0;
    for (PiiDetector detector : all) {
      alone += detector.countIn(text);
    }
    assertThat(PiiDetector.countIn(text, all)).isEqualTo(alone).isEqualTo(4);
    assertThatThrownBy(
            () -> PiiDetector.countIn(text, List.of(PiiDetector.email(), PiiDetector.email())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("EMAIL");
  }
}
