# Writes OUT: a C++ initializer list of {version, name, sql} from the
# migration files in DIR (named NNN_name.sql), in version order.
file(GLOB FILES ${DIR}/*.sql)
list(SORT FILES)
set(text "// Generated from server/migrations/*.sql by embed_migrations.cmake.\n")
foreach(file ${FILES})
  get_filename_component(name ${file} NAME_WE)
  string(REGEX MATCH "^[0-9]+" version ${name})
  math(EXPR version "${version} + 0")
  file(READ ${file} sql)
  string(APPEND text "{${version}, \"${name}\", R\"KIJUN_SQL(${sql})KIJUN_SQL\"},\n")
endforeach()
file(WRITE ${OUT} "${text}")
