import sys
import unittest

sys.path.insert(0, "app")

from greet import greeting  # noqa: E402


class GreetingTest(unittest.TestCase):
    def test_escapes(self) -> None:
        self.assertEqual(greeting("<b>"), "<p>hello, &lt;b&gt;</p>")


if __name__ == "__main__":
    unittest.main()
