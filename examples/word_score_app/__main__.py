# Entry point used by `python3 /opt/monai/app` and by map-build's static analysis:
# it follows this import to find the Application class (and so the command's file).
from app import WordScoreApp

if __name__ == "__main__":
    WordScoreApp().run()
