"""Plausible Chinese titles and captions: templates + product words + hashtags, per brand category and platform.

Quirks reproduced from real exports: emoji, full-width punctuation (｜，！？：【】《》), occasional long titles,
captions with newlines and hashtags (Douyin / Channels), Weibo ``#话题#`` double-hash topics, XHS titles capped at
20 characters (and now and then empty), Bilibili titles ending with a full-width comma.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from .common import festival_of, season_word

EMOJI = ["✨", "🔥", "💧", "🌿", "🍂", "❄️", "🥰", "😭", "👉", "‼️", "💯", "🎁", "🤩", "🙌", "💡", "📌", "🌟", "😂", "👀", "❗️"]

VOCAB = {
    "beauty": {
        "products": ["小蓝瓶精华", "修护面霜", "清透防晒乳", "氨基酸洁面", "玻色因眼霜", "补水面膜", "温和卸妆膏", "水乳套装",
                     "持妆气垫", "丝绒唇釉", "舒缓喷雾", "身体乳", "护手霜", "精华水", "夜间修护霜"],
        "pains": ["干燥起皮", "泛红敏感", "出油长痘", "暗沉发黄", "毛孔粗大", "细纹", "换季烂脸", "熬夜垮脸", "屏障受损"],
        "crowds": ["油皮", "干皮", "敏感肌", "学生党", "打工人", "熬夜党", "混油皮", "新手", "痘肌"],
        "ingredients": ["烟酰胺", "玻尿酸", "A醇", "维C", "神经酰胺", "积雪草", "玻色因", "水杨酸", "角鲨烷", "胜肽"],
        "tags": ["护肤", "护肤小技巧", "敏感肌", "成分党", "好物分享", "平价好物", "早C晚A", "美妆", "变美", "护肤心得",
                 "素颜", "妆前打底", "抗初老", "补水保湿", "防晒"],
        "season_tags": {"冬季": "冬季护肤", "早春": "换季护肤", "春季": "春季护肤", "初夏": "防晒", "夏日": "夏日防晒",
                        "夏末": "晒后修护", "秋季": "秋季护肤", "秋冬": "秋冬护肤"},
    },
    "coffee": {
        "products": ["冷萃咖啡液", "挂耳咖啡", "冻干咖啡粉", "生椰拿铁", "燕麦拿铁", "云南小粒咖啡豆", "气泡美式", "即饮美式",
                     "咖啡礼盒", "浓缩咖啡液", "手冲咖啡豆", "冷萃茶咖"],
        "flavors": ["桂花", "生椰", "燕麦", "焦糖", "海盐", "黑糖", "橘子", "杨枝甘露", "栗子", "荔枝", "柚子", "抹茶"],
        "scenes": ["早八", "加班", "露营", "下午茶", "办公室", "通勤路上", "周末在家", "考研", "午后", "出差"],
        "crowds": ["打工人", "学生党", "咖啡小白", "上班族", "考研人", "早八人", "宝妈", "健身党"],
        "tags": ["咖啡日常", "打工人续命", "早八人", "自制咖啡", "咖啡教程", "办公室好物", "咖啡推荐", "冷萃", "咖啡",
                 "生活仪式感", "手冲咖啡", "一人食"],
        "season_tags": {"冬季": "冬日热饮", "早春": "春日限定", "春季": "春日限定", "初夏": "夏日冰饮", "夏日": "夏日冰饮",
                        "夏末": "冰咖啡", "秋季": "秋天的第一杯咖啡", "秋冬": "秋冬热饮"},
    },
}

FESTIVAL_TAG = {"618": "618好物推荐", "双11": "双十一必买清单", "双12": "双12", "年货节": "年货节", "春节": "新年快乐",
                "38节": "女神节", "情人节": "情人节礼物"}

TEMPLATES = {
    "beauty": [
        "{season}{pain}怎么办？{product}一瓶搞定{e}",
        "实测{n}天｜{product}真的有用吗",
        "被问爆的{product}，终于有人讲清楚了",
        "{crowd}必看！{product}正确用法{e}",
        "成分党看过来：{ingredient}到底怎么选",
        "{price}块的{product}vs大牌，差距在哪？",
        "早C晚A新手入门｜{product}搭配指南",
        "熬夜党急救｜{product}+{product2}",
        "【新品】{product}上市，限时尝鲜{e}",
        "护肤避坑：这{n}个误区你中了几个",
        "一周护肤vlog｜{product}空瓶记",
        "{crowd}的{season}护肤清单{e}",
        "{ingredient}+{ingredient2}能一起用吗？",
        "跟着配方师学护肤｜{product}的秘密",
        "{n}秒看懂{product}怎么选{e}",
        "{pain}星人的救星{e}{product}",
    ],
    "coffee": [
        "打工人续命神器｜{product}{e}",
        "{scene}来一杯{flavor}拿铁，幸福感拉满",
        "在家做{flavor}拿铁，只需{n}步{e}",
        "{season}限定｜{flavor}{product}上新啦",
        "挑战一周不重样的咖啡喝法 Day{n}",
        "{product}测评：{n}款对比，这款最香",
        "咖啡小白入门：美式、拿铁、澳白有什么区别？",
        "{crowd}的{scene}咖啡清单{e}",
        "一杯{product}的{n}种喝法",
        "【新品】{flavor}{product}，今天开喝{e}",
        "{scene}必备！{product}冲泡指南",
        "从云南到你手里：一颗咖啡豆的旅程",
        "{flavor}+咖啡=？隐藏喝法{e}",
        "{n}块钱喝到精品咖啡？{product}实测",
        "冰的还是热的？{season}{product}这样喝",
    ],
}

WECHAT_TEMPLATES = {
    "beauty": [
        "{season}换季皮肤屏障受损？这份修护指南请收好",
        "成分科普｜{ingredient}：你需要知道的{n}件事",
        "{festival}福利｜{product}限时特惠，评论区抽{n}位送正装",
        "品牌故事｜我们为什么坚持做{product}",
        "对话配方师：一瓶{product}的诞生",
        "{crowd}护肤全攻略：从清洁到防晒，一篇讲透",
        "「{pain}」自救手册：{n}个步骤找回好皮肤",
        "新品首发｜{product}，为{crowd}而来",
        "皮肤科医生说：{ingredient}这样用才有效",
        "护肤问答第{n}期｜{pain}怎么办？",
    ],
    "coffee": [
        "{season}上新｜{flavor}{product}，把{season}装进杯子里",
        "一颗咖啡豆的{n}道工序：走进云南咖啡庄园",
        "{festival}福利｜{product}限时特惠，评论区抽{n}位送礼盒",
        "咖啡知识｜冷萃和冰美式，到底有什么不同？",
        "品牌故事｜我们为什么只做{product}",
        "{crowd}咖啡指南：一天中什么时候喝咖啡最好？",
        "在家也能做出咖啡馆的味道：{n}款{product}食谱",
        "对话烘焙师：好咖啡从选豆开始",
        "咖啡问答第{n}期｜喝咖啡会不会影响睡眠？",
        "新品首发｜{flavor}{product}，今天正式上市",
    ],
}

WEIBO_EXTRA = ["转发本条微博，抽{n}位送{product}🎁", "评论区说说你的{topic}，揪{n}位宝子送福利", "点击链接了解更多👉",
               "你pick哪一款？评论区告诉我们～", "#{brand}{product}#", "今天也要好好爱自己❤️"]


class TitleMaker:
    """Deterministic title generator for one account (unique titles within the account)."""

    def __init__(self, rng: np.random.Generator, category: str, brand_name: str, platform: str):
        self.rng = rng
        self.cat = category
        self.brand = brand_name
        self.platform = platform
        self.v = VOCAB[category]
        self.seen: set[str] = set()

    def _pick(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def _fill(self, tpl: str, d: date) -> str:
        v = self.v
        products = v["products"]
        p1 = self._pick(products)
        p2 = self._pick([p for p in products if p != p1])
        fest = festival_of(d) or "周末"
        ings = v.get("ingredients", ["咖啡因"])
        i1 = self._pick(ings)
        i2 = self._pick([x for x in ings if x != i1] or ings)
        return tpl.format(
            season=season_word(d), product=p1, product2=p2, e=self._pick(EMOJI) if self.rng.random() < 0.55 else "",
            n=int(self.rng.choice([3, 5, 7, 10, 14, 21, 28, 30])), price=int(self.rng.choice([39, 59, 69, 89, 99, 129])),
            crowd=self._pick(v["crowds"]), pain=self._pick(v.get("pains", ["犯困"])), ingredient=i1, ingredient2=i2,
            flavor=self._pick(v.get("flavors", ["经典"])), scene=self._pick(v.get("scenes", ["日常"])), festival=fest,
            topic=self._pick(["护肤难题", "咖啡喝法", "早八日常", "换季烦恼"]),
        )

    def hashtags(self, d: date, k: int) -> list[str]:
        v = self.v
        pool = list(v["tags"])
        tags = [v["season_tags"][season_word(d)]]
        fest = festival_of(d)
        if fest and self.rng.random() < 0.7:
            tags.append(FESTIVAL_TAG[fest])
        while len(tags) < k:
            t = self._pick(pool)
            if t not in tags:
                tags.append(t)
        return tags[:k]

    def _base(self, d: date) -> str:
        tpls = WECHAT_TEMPLATES[self.cat] if self.platform == "wechat_oa" else TEMPLATES[self.cat]
        return self._fill(self._pick(tpls), d)

    def make(self, d: date, *, bait: bool = False) -> str:
        for attempt in range(40):
            t = self._make_once(d, bait=bait)
            key = t.strip()
            if key and key not in self.seen:
                self.seen.add(key)
                return t
            if not key and self.platform == "xiaohongshu" and attempt == 0:
                return t  # an empty XHS title (seen in real files)
        t = f"{t}（{len(self.seen) + 1}）"
        self.seen.add(t)
        return t

    def _make_once(self, d: date, *, bait: bool) -> str:
        r = self.rng.random()
        p = self.platform
        base = self._base(d)
        if bait:
            prod = self._pick(self.v["products"])
            base = f"点赞过万，明天抽10位宝子送{prod}正装🎁 喜欢{self.brand}就点个赞吧❤️"
        if p == "wechat_oa":
            if r < 0.12:
                base = base + "｜" + self._fill(self._pick(WECHAT_TEMPLATES[self.cat]), d).split("｜")[-1]
            return base
        if p == "xiaohongshu":
            if r < 0.02 and not bait:
                return ""
            t = base.replace("｜", " | ") if r < 0.2 else base
            return t[:20]
        if p == "bilibili":
            pre = self._pick(["【测评】", "【vlog】", "【干货】", "【教程】", "", "", ""])
            t = pre + base
            if r < 0.15:
                t = t + "，"
            if r > 0.9:
                t = t + "｜" + self._fill(self._pick(TEMPLATES[self.cat]), d)
            return t
        if p == "weibo":
            topic = f"#{self.brand}{self._pick(self.v['products'])}#"
            extra = self._pick(WEIBO_EXTRA).format(n=int(self.rng.choice([3, 5, 10])), product=self._pick(self.v["products"]),
                                                   topic=self._pick(["护肤难题", "咖啡喝法", "早八日常"]), brand=self.brand)
            tags = " ".join(f"#{t}#" for t in self.hashtags(d, 1 + int(self.rng.integers(2))))
            return f"{topic}{base} {extra} {tags}" if not bait else f"{topic}{base} {tags}"
        # douyin / kuaishou / wechat_channels: captions with hashtags, sometimes newlines
        tags = " ".join("#" + t for t in self.hashtags(d, 2 + int(self.rng.integers(3))))
        if p == "kuaishou" and r < 0.3:
            base = base + self._pick(["，老铁们冲！", "，家人们看过来", "", "！双击666"])
        if r < 0.08:  # a long caption, two sentences
            base = base + "，" + self._fill(self._pick(TEMPLATES[self.cat]), d)
        if p == "wechat_channels":
            if r < 0.25:
                return f"{base}\n{self._fill(self._pick(TEMPLATES[self.cat]), d)}\n{tags}"
            return f"{base} {tags}" if r < 0.7 else base
        if r < 0.22:
            return f"{base}\n{tags}"
        return f"{base} {tags}"


def material_name(rng: np.random.Generator, category: str, d: date, i: int) -> str:
    """Qianchuan material file names: ``生椰拿铁_口播_0915_v2.mp4`` (ASCII/Chinese only: GBK-safe)."""
    v = VOCAB[category]
    prod = v["products"][int(rng.integers(len(v["products"])))]
    kind = ["口播", "剧情", "开箱", "测评", "混剪", "达人切片", "直播切片", "对比"][int(rng.integers(8))]
    return f"{prod}_{kind}_{d.strftime('%m%d')}_v{1 + i % 4}.mp4"


KOL_NAMES = {
    "beauty": ["是小鹿呀", "护肤研究所阿宁", "敏感肌的小王", "程十安an", "皮肤科在读小刘", "油皮女孩Coco", "成分党老李",
               "化妆师Kevin", "素颜小姐姐", "美妆博主Yuki"],
    "coffee": ["咖啡研究所阿杰", "一杯咖啡的时间", "早八人的生活", "手冲小白", "Lily的咖啡日记", "打工人阿May", "露营咖啡师",
               "北漂咖啡馆", "探店小分队", "咖啡豆子君"],
}
