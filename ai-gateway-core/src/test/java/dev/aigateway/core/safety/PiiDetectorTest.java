package dev.aigateway.core.safety;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Each built-in detector: what it must find, and what looks alike and must not be found. */
class PiiDetectorTest {

  private static List<String> found(PiiDetector detector, String text) {
    Spans spans = new Spans();
    detector.find(text, spans);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < spans.size(); i++) {
      out.add(text.substring(spans.start(i), spans.end(i)));
    }
    return out;
  }

  @Test
  void emailsAreFoundInProseAndInAUrlQuery() {
    assertThat(found(PiiDetector.email(), "Write to jane.doe+x@mail.example.co.uk, thanks."))
        .containsExactly("jane.doe+x@mail.example.co.uk");
    assertThat(found(PiiDetector.email(), "https://ex.com/unsubscribe?who=bob@example.org&x=1"))
        .containsExactly("bob@example.org");
  }

  @Test
  void urlsThatHoldAnAtSignAreNotEmails() {
    assertThat(found(PiiDetector.email(), "https://cdn.jsdelivr.net/npm/lodash@4.17.21/x.js"))
        .isEmpty();
    assertThat(found(PiiDetector.email(), "see https://medium.com/@alice/my-post")).isEmpty();
    assertThat(found(PiiDetector.email(), "ssh://git@github.com/org/repo")).isEmpty();
    assertThat(found(PiiDetector.email(), "@channel ping me, or a@b")).isEmpty();
  }

  @Test
  void validCardNumbersPassTheLuhnCheck() {
    assertThat(found(PiiDetector.cardNumber(), "card 4111 1111 1111 1111 exp 12/29"))
        .containsExactly("4111 1111 1111 1111");
    assertThat(found(PiiDetector.cardNumber(), "amex 3782-822463-10005."))
        .containsExactly("3782-822463-10005");
    assertThat(found(PiiDetector.cardNumber(), "5555555555554444"))
        .containsExactly("5555555555554444");
  }

  @Test
  void digitRunsFailingLuhnOrOutOfRangeAreNotCards() {
    assertThat(found(PiiDetector.cardNumber(), "order 4111 1111 1111 1112")).isEmpty();
    assertThat(found(PiiDetector.cardNumber(), "tracking 1234567812345670")).isEmpty();
    assertThat(found(PiiDetector.cardNumber(), "id 41111111111111110000")).isEmpty();
    assertThat(found(PiiDetector.cardNumber(), "x4111111111111111")).isEmpty();
  }

  @Test
  void ibansAreFoundCompactOrGroupedWhenMod97Holds() {
    assertThat(found(PiiDetector.iban(), "IBAN: DE89 3704 0044 0532 0130 00 please"))
        .containsExactly("DE89 3704 0044 0532 0130 00");
    assertThat(found(PiiDetector.iban(), "pay GB82WEST12345698765432 now"))
        .containsExactly("GB82WEST12345698765432");
    assertThat(found(PiiDetector.iban(), "DE89 3704 0044 0532 0130 00 AND MORE"))
        .containsExactly("DE89 3704 0044 0532 0130 00");
  }

  @Test
  void ibanLookalikesWithAWrongCheckAreNot() {
    assertThat(found(PiiDetector.iban(), "DE88 3704 0044 0532 0130 00")).isEmpty();
    assertThat(found(PiiDetector.iban(), "GB82WEST12345698765433")).isEmpty();
    assertThat(found(PiiDetector.iban(), "SKU AB12CDEF34567890")).isEmpty();
  }

  @Test
  void ssnsFollowTheIssuingRules() {
    assertThat(found(PiiDetector.usSsn(), "SSN 123-45-6789.")).containsExactly("123-45-6789");
    assertThat(found(PiiDetector.usSsn(), "ssn 123 45 6789")).containsExactly("123 45 6789");
    assertThat(found(PiiDetector.usSsn(), "000-12-3456 666-12-3456 912-34-5678")).isEmpty();
    assertThat(found(PiiDetector.usSsn(), "123-00-4567 123-45-0000")).isEmpty();
    assertThat(found(PiiDetector.usSsn(), "123456789 and 123-45-6789-1")).isEmpty();
  }

  @Test
  void phoneNumbersInternationalAndNorthAmerican() {
    assertThat(found(PiiDetector.phone(), "call +44 20 7946 0958 or +14155550132"))
        .containsExactly("+44 20 7946 0958", "+14155550132");
    assertThat(found(PiiDetector.phone(), "(415) 555-0132, 415-555-0132 or 415.555.0132"))
        .containsExactly("(415) 555-0132", "415-555-0132", "415.555.0132");
  }

  @Test
  void versionStringsDatesAndShortNumbersAreNotPhones() {
    assertThat(found(PiiDetector.phone(), "upgrade to 10.0.19045.2965 or v1.2.3")).isEmpty();
    assertThat(found(PiiDetector.phone(), "on 2024-09-01, build 123.456.78901")).isEmpty();
    assertThat(found(PiiDetector.phone(), "+1 2 3, +123, 1.415.555.0132.7")).isEmpty();
    assertThat(found(PiiDetector.phone(), "ISBN 978-3-16-148410-0")).isEmpty();
  }

  @Test
  void digitsAndSeparatorsAModelReadsAsAsciiOnesAreFoundWhereTheyAre() {
    // Full-width digits and dashes, as an IME types them.
    String card =
        "card \uFF14\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11"
            + " \uFF11\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11 exp";
    assertThat(found(PiiDetector.cardNumber(), card))
        .containsExactly(card.substring(5, card.length() - 4));
    String phone =
        "call \uFF14\uFF11\uFF15\uFF0D\uFF15\uFF15\uFF15\uFF0D" + "\uFF10\uFF11\uFF13\uFF12 now";
    assertThat(found(PiiDetector.phone(), phone)).containsExactly(phone.substring(5, 17));
    String ssn = "ssn \uFF11\uFF12\uFF13\uFF0D\uFF14\uFF15\uFF0D\uFF16\uFF17\uFF18\uFF19.";
    assertThat(found(PiiDetector.usSsn(), ssn)).containsExactly(ssn.substring(4, 15));
    // Arabic-Indic digits, a no-break space and a Unicode hyphen between groups.
    String arabic = "\u0664\u0661\u0661\u0661\u00A01111\u20101111 1111";
    assertThat(found(PiiDetector.cardNumber(), arabic)).containsExactly(arabic);
    // An ASCII number before a full-width one is found once, where it is.
    String both = "123-45-6789 and \uFF11\uFF12\uFF13-45-6789";
    assertThat(found(PiiDetector.usSsn(), both)).containsExactly("123-45-6789", both.substring(16));
    // Full-width letters around digits are still letters: no token starts inside a word.
    assertThat(found(PiiDetector.usSsn(), "\uFF41123-45-6789")).isEmpty();
  }

  /** {@code ascii} with its digits written from {@code zero}'s block (a digit zero code point). */
  private static String digitsFrom(int zero, String ascii) {
    StringBuilder out = new StringBuilder();
    ascii.chars().forEach(c -> out.appendCodePoint(c >= '0' && c <= '9' ? zero + (c - '0') : c));
    return out.toString();
  }

  @Test
  void digitsWrittenAsSurrogatePairsAreFoundWhereTheyAre() {
    // Mathematical bold (U+1D7CE) and monospace (U+1D7F6) digits: NFKC reads them as ASCII ones.
    String ssn = digitsFrom(0x1D7CE, "123-45-6789");
    String text = "\uD83D\uDE00 ssn " + ssn + ", thanks";
    assertThat(found(PiiDetector.usSsn(), text)).containsExactly(ssn);
    String card = digitsFrom(0x1D7F6, "4111 1111") + " 1111 " + digitsFrom(0x1D7CE, "1111");
    assertThat(found(PiiDetector.cardNumber(), "card " + card + " exp")).containsExactly(card);
    String phone = "+" + digitsFrom(0x1D7CE, "44 20 7946 0958");
    assertThat(found(PiiDetector.phone(), "call " + phone)).containsExactly(phone);
    // Another script's digits beyond the BMP (Osmanya, U+104A0).
    String osmanya = digitsFrom(0x104A0, "123-45-6789");
    assertThat(found(PiiDetector.usSsn(), osmanya)).containsExactly(osmanya);
    // An ASCII number after such digits is found where it is too.
    String mixed = digitsFrom(0x1D7CE, "7") + " and 123-45-6789";
    assertThat(found(PiiDetector.usSsn(), mixed)).containsExactly("123-45-6789");
    // Such digits inside a word start no token, as ASCII ones do not.
    assertThat(found(PiiDetector.usSsn(), "x" + ssn)).isEmpty();
  }

  @Test
  void customDetectorsFindEveryMatch() {
    PiiDetector employee = PiiDetector.custom("EMPLOYEE_ID", Pattern.compile("\\bEMP-\\d{6}\\b"));
    assertThat(found(employee, "EMP-123456 and EMP-654321, not EMP-12")).hasSize(2);
    assertThat(employee.kind()).isEqualTo("EMPLOYEE_ID");
  }
}
