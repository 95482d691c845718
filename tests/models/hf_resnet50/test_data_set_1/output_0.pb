
BlogitsJxÂ5ÊAnŸ!ÂTß=ÂfWÍÁînB•·¼Àî –A6(¹AÖˆ†ÂµküAt³±AmH Â´1(ÂôKÁ$jUBAƒÀ/Æ‹Aµ;ÚA'š†Âv|·ABnnQÂqszÂf¦Á½½‘B¦’Á{¹AcJBÂô¤Âåt#B