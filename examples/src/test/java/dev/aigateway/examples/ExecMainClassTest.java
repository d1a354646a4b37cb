package dev.aigateway.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The examples are run with {@code mvn exec:java -pl examples -Dexec.mainClass=<example>}
 * (docs/integrations.md) and the demo with no main class given (scripts/demo.sh). A main class
 * written into the exec plugin's configuration would win over {@code -Dexec.mainClass}, and every
 * such command would run the demo instead of the example it names: the default has to be the {@code
 * exec.mainClass} property, which the command line overrides.
 */
class ExecMainClassTest {

  @Test
  void theExecPluginsMainClassIsThePropertyTheCommandLineOverridesAndTheDemoByDefault()
      throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    Document pom = factory.newDocumentBuilder().parse(Path.of("pom.xml").toFile());

    Element project = pom.getDocumentElement();
    Element properties = child(project, "properties");
    assertThat(properties).as("<properties> of examples/pom.xml").isNotNull();
    Element mainClassProperty = child(properties, "exec.mainClass");
    assertThat(mainClassProperty)
        .as("the exec.mainClass property (the demo, unless -Dexec.mainClass names an example)")
        .isNotNull();
    assertThat(mainClassProperty.getTextContent().trim()).isEqualTo(Demo.class.getName());

    NodeList plugins = pom.getElementsByTagName("plugin");
    Element exec = null;
    for (int i = 0; i < plugins.getLength(); i++) {
      Element plugin = (Element) plugins.item(i);
      if ("exec-maven-plugin".equals(child(plugin, "artifactId").getTextContent().trim())) {
        exec = plugin;
      }
    }
    assertThat(exec).as("the exec-maven-plugin of examples/pom.xml").isNotNull();
    Element configuration = child(exec, "configuration");
    Element mainClass = configuration == null ? null : child(configuration, "mainClass");
    assertThat(mainClass == null ? null : mainClass.getTextContent().trim())
        .as("the exec plugin's configured mainClass, which -Dexec.mainClass cannot override")
        .isIn(null, "${exec.mainClass}");
  }

  private static Element child(Element parent, String name) {
    for (var node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
      if (node instanceof Element element && element.getTagName().equals(name)) {
        return element;
      }
    }
    return null;
  }
}
