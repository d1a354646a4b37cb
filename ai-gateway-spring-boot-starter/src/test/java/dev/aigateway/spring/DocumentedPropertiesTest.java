package dev.aigateway.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.beans.PropertyDescriptor;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.beans.BeanUtils;
import org.springframework.beans.BeanWrapperImpl;

/**
 * The property reference of {@code docs/integrations.md} ("Every property") and the properties the
 * starter binds are the same set: no key a user can set is left out, none listed is one the starter
 * does not have, and a default the starter itself sets is the one the table gives.
 */
class DocumentedPropertiesTest {

  private static final Path DOC = Path.of("..", "docs", "integrations.md");

  /** A row of the reference: {@code | `ai-gateway.key` | default | meaning |}. */
  private static final Pattern ROW =
      Pattern.compile("^\\| `(ai-gateway\\.[^`]+)` \\| ([^|]*) \\|", Pattern.MULTILINE);

  @Test
  void everyPropertyTheStarterBindsIsInTheReferenceAndNoOther() throws IOException {
    Map<String, Object> bound = new LinkedHashMap<>();
    walk(AiGatewayProperties.PREFIX, new AiGatewayProperties(), bound);

    assertThat(documented().keySet())
        .as("keys of docs/integrations.md's property reference against the starter's properties")
        .containsExactlyInAnyOrderElementsOf(bound.keySet());
  }

  @Test
  void aDefaultTheStarterSetsIsTheDocumentedOne() throws IOException {
    Map<String, Object> bound = new LinkedHashMap<>();
    walk(AiGatewayProperties.PREFIX, new AiGatewayProperties(), bound);
    Map<String, String> documented = documented();

    bound.forEach(
        (key, value) -> {
          if (value != null && documented.containsKey(key)) {
            assertThat(documented.get(key)).as("default of %s", key).isEqualTo("`" + value + "`");
          }
        });
  }

  private static Map<String, String> documented() throws IOException {
    Map<String, String> rows = new LinkedHashMap<>();
    Matcher row = ROW.matcher(Files.readString(DOC, StandardCharsets.UTF_8));
    while (row.find()) {
      assertThat(rows.put(row.group(1), row.group(2).trim()))
          .as("%s listed twice", row.group(1))
          .isNull();
    }
    return rows;
  }

  /**
   * Every key under {@code prefix} a user can set on {@code bean}, with the default the starter
   * gives it as the docs write it, or null when the starter leaves it unset (the core builder's
   * default applies) or empty.
   */
  private static void walk(String prefix, Object bean, Map<String, Object> keys) {
    BeanWrapperImpl wrapper = new BeanWrapperImpl(bean);
    for (PropertyDescriptor property : BeanUtils.getPropertyDescriptors(bean.getClass())) {
      if (property.getReadMethod() == null
          || property.getWriteMethod() == null
          || property.getName().equals("class")) {
        continue;
      }
      String key = prefix + "." + kebab(property.getName());
      Class<?> type = property.getPropertyType();
      Object value = wrapper.getPropertyValue(property.getName());
      if (List.class.isAssignableFrom(type) && isGroup(elementType(property))) {
        walk(key + "[i]", newInstance(elementType(property)), keys);
      } else if (isGroup(type)) {
        walk(key, value, keys);
      } else {
        keys.put(key, written(value));
      }
    }
  }

  private static @org.jspecify.annotations.Nullable String written(
      @org.jspecify.annotations.Nullable Object value) {
    if (value == null
        || value instanceof Collection<?> c && c.isEmpty()
        || value instanceof Map<?, ?> m && m.isEmpty()) {
      return null;
    }
    if (value instanceof Enum<?> e) {
      return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
    return value.toString();
  }

  /** A nested group of the starter's own: its keys are listed, not the group. */
  private static boolean isGroup(Class<?> type) {
    return type.getName().startsWith("dev.aigateway.spring.") && !type.isEnum();
  }

  private static Class<?> elementType(PropertyDescriptor property) {
    Type type = property.getReadMethod().getGenericReturnType();
    return (Class<?>) ((ParameterizedType) type).getActualTypeArguments()[0];
  }

  private static Object newInstance(Class<?> type) {
    try {
      Constructor<?> constructor = type.getDeclaredConstructor();
      constructor.setAccessible(true);
      return constructor.newInstance();
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(type + " cannot be made as the binder makes it", e);
    }
  }

  private static String kebab(String name) {
    return name.replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT);
  }
}
