"""What stays with the instructor and never ships in the student kit: the code that runs the
references (reference.py), the commands that package the course (release.py, the student kit;
gradescope.py, the Gradescope archive and its runner) and the demo class, made from the
references (demo.py). `release` copies the engine without this folder, as it copies each
exercise's ships/ folder without its private/ one."""
