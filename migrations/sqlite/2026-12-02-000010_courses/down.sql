DROP TABLE course_outcomes;
DROP TABLE checkins;
DROP TABLE course_sessions;
DROP TABLE course_flags;
DROP TABLE courses;
